/** The CLI's two streams: results on stdout, progress, warnings and errors on stderr (the only console writers). */
export const out = (text: string): void => void process.stdout.write(`${text}\n`);
export const err = (text: string): void => void process.stderr.write(`${text}\n`);
