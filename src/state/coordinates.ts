// The coordinates table: each node's Vivaldi coordinate (LAN), as agents report them to the servers
// (Consul's Coordinate.Update batched into CoordinateBatchUpdate entries).

export interface Coord {
  Vec: number[];
  Error: number;
  Adjustment: number;
  Height: number;
}

export interface CoordinateEntry {
  Node: string;
  Segment: string;
  Coord: Coord;
  CreateIndex: number;
  ModifyIndex: number;
}

export class Coordinates {
  private readonly rows = new Map<string, CoordinateEntry>();
  private tableIndex = 0;

  get index(): number {
    return Math.max(1, this.tableIndex);
  }

  update(idx: number, updates: ReadonlyArray<{ Node: string; Segment?: string; Coord: Coord }>): void {
    for (const u of updates) {
      const prev = this.rows.get(u.Node);
      this.rows.set(u.Node, {
        Node: u.Node,
        Segment: u.Segment ?? '',
        Coord: u.Coord,
        CreateIndex: prev?.CreateIndex ?? idx,
        ModifyIndex: idx,
      });
    }
    if (idx > this.tableIndex) this.tableIndex = idx;
  }

  /** Coordinates of nodes still in the catalog, ordered by node name. */
  list(inCatalog: (node: string) => boolean): CoordinateEntry[] {
    return [...this.rows.values()]
      .filter((r) => inCatalog(r.Node))
      .sort((a, b) => (a.Node < b.Node ? -1 : a.Node > b.Node ? 1 : 0));
  }

  dump(): { index: number; rows: CoordinateEntry[] } {
    return { index: this.tableIndex, rows: [...this.rows.values()] };
  }

  restore(d: { index: number; rows: CoordinateEntry[] }): void {
    this.rows.clear();
    for (const r of d.rows) this.rows.set(r.Node, r);
    this.tableIndex = d.index;
  }

  get(node: string): CoordinateEntry | undefined {
    return this.rows.get(node);
  }
}
