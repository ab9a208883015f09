/**
 * The one empty array shared wherever an empty list is kept for long (a spec's unset lists, a
 * supervisor that never restarted anything). Frozen: it can be handed out as `readonly T[]` of any
 * `T`, and nobody can fill it for everyone. A host holding a thousand processes would otherwise
 * keep a few thousand empty arrays of ~30 bytes each.
 */
export const NONE: readonly never[] = Object.freeze([]);
