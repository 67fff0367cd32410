/**
 * The IV stash: when a file is changed (set, edit, unset), every value whose plaintext did
 * not change is sealed again with the IV it had, so it comes out byte-identical and the
 * Git diff shows only what changed.
 *
 * A value is recognised by its AAD (the path of map keys), its type and its plaintext,
 * and by its position (the n-th leaf of the tree, in document order). Equal values under
 * one key — `true` twice in a list — share AAD, type and plaintext; each keeps the IV at
 * its own position, and an IV is handed out at most once, so two equal values never end
 * up with the same ciphertext (which would show that they are equal).
 */

import { newIv } from './cipher.js';

/** A value about to be sealed: its AAD, its type and its plaintext. */
export interface SealPlan {
  aad: string;
  type: string;
  plaintext: Uint8Array;
}

interface Kept {
  /** IV by leaf position. */
  byPosition: Map<number, Uint8Array>;
  /** Positions in document order, for values that moved. */
  order: number[];
}

const idOf = (aad: string, type: string, plaintext: Uint8Array): string =>
  `${aad}\u0000${type}\u0000${Buffer.from(plaintext).toString('base64')}`;

export class IvStash {
  private readonly kept = new Map<string, Kept>();

  /** Records the IV of a decrypted value found at leaf `position`. */
  remember(aad: string, type: string, plaintext: Uint8Array, iv: Uint8Array, position: number): void {
    const id = idOf(aad, type, plaintext);
    let kept = this.kept.get(id);
    if (kept === undefined) {
      kept = { byPosition: new Map(), order: [] };
      this.kept.set(id, kept);
    }
    kept.byPosition.set(position, iv);
    kept.order.push(position);
  }

  /**
   * Chooses the IV for every leaf that will be sealed (`plans[i]` is leaf i, or undefined
   * when it stays as it is). A value at the position it was read from keeps its IV; a value
   * that moved takes the first unused IV of an equal value; anything else gets a fresh IV.
   */
  assign(plans: readonly (SealPlan | undefined)[]): (Uint8Array | undefined)[] {
    const ivs: (Uint8Array | undefined)[] = plans.map((plan) => (plan === undefined ? undefined : newIv()));
    if (this.kept.size === 0) return ivs;
    const taken = new Set<number>();
    const pending: [number, Kept][] = [];
    plans.forEach((plan, i) => {
      const kept = plan && this.kept.get(idOf(plan.aad, plan.type, plan.plaintext));
      if (kept === undefined) return;
      const iv = kept.byPosition.get(i);
      if (iv === undefined) {
        pending.push([i, kept]);
        return;
      }
      ivs[i] = iv;
      taken.add(i);
    });
    const next = new Map<Kept, number>();
    for (const [i, kept] of pending) {
      let k = next.get(kept) ?? 0;
      while (k < kept.order.length && taken.has(kept.order[k] as number)) k++;
      const position = kept.order[k];
      next.set(kept, k + 1);
      if (position === undefined) continue;
      taken.add(position);
      ivs[i] = kept.byPosition.get(position);
    }
    return ivs;
  }
}
