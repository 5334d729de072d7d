/**
 * A checkpoint store in memory that "kills" the run: its `save` throws after writing the
 * checkpoint whose next epoch is `killAt`, as a process killed right after that write would
 * stop. The same store then serves the resumed run (`killAt` −1: never).
 */
export const killableStore = <C extends { readonly next: { readonly epoch: number } }>() => {
  let saved: C | undefined;
  return {
    /** The last checkpoint written. */
    last: (): C | undefined => saved,
    /** A store that stops the run after writing the checkpoint of `killAt`. */
    killingAt: (killAt: number) => ({
      load: async (): Promise<C | undefined> => (saved === undefined ? undefined : structuredClone(saved)),
      save: async (checkpoint: C): Promise<void> => {
        saved = structuredClone(checkpoint);
        if (checkpoint.next.epoch === killAt) throw new Error("killed");
      },
    }),
  };
};
