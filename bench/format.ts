/** Table cells of the bench's markdown: one decimal, `-` where nothing was measured. */
export const f1 = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(1));
