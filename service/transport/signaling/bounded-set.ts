// A set that forgets its oldest entries past a size: replay detection that a flood of values cannot grow forever.

export class BoundedSet<T> {
  private readonly items = new Set<T>();

  constructor(private readonly capacity: number) {}

  has(item: T): boolean {
    return this.items.has(item);
  }

  /** True if it was there. */
  delete(item: T): boolean {
    return this.items.delete(item);
  }

  /** Adds `item` as the newest, or makes it the newest if it was there. */
  add(item: T): void {
    this.items.delete(item);
    this.items.add(item);
    if (this.items.size > this.capacity) {
      const oldest = this.items.values().next();
      if (!oldest.done) this.items.delete(oldest.value);
    }
  }
}
