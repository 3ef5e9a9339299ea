// The ACL token a request carries (consul-surface.md §2.1) and the request URL as it may be logged.
// Precedence, as Consul: ?token, then X-Consul-Token, then `Authorization: Bearer <t>` (scheme in any
// case; only the first word after it), then the agent's default token; "" is anonymous.

export function requestToken(
  q: URLSearchParams,
  headers: Readonly<Record<string, string | undefined>>,
  defaultToken: string,
): string {
  const fromQuery = q.get('token');
  if (fromQuery) return fromQuery;
  const fromHeader = headers['x-consul-token'];
  if (fromHeader) return fromHeader;
  const auth = headers.authorization;
  if (auth) {
    const parts = auth.split(' ');
    if (parts.length > 1 && parts[0]!.toLowerCase() === 'bearer') {
      const t = parts.slice(1).join(' ').trim().split(' ')[0]!.trim();
      if (t) return t;
    }
  }
  return defaultToken;
}

/** Legacy ACL endpoints carry a token ID in the path. */
const ACL_PATH = /^(\/v1\/acl\/(create|update|destroy|info|clone|list)\/)([^?]+)([?]?.*)$/;

/**
 * The URL with every ?token value replaced by `<hidden>` wherever it appears (an empty one appends
 * `<hidden>`), and a legacy ACL endpoint's path token hidden too, as Consul logs requests.
 */
export function redactUrl(url: string): string {
  const i = url.indexOf('?');
  let out = url;
  if (i >= 0) {
    for (const t of new URLSearchParams(url.slice(i + 1)).getAll('token')) {
      out = t === '' ? `${out}<hidden>` : out.split(t).join('<hidden>');
    }
  }
  return out.replace(ACL_PATH, '$1<hidden>$4');
}
