/**
 * What the app shows of an imported Entra Connect export (#18): its files, what the join found and
 * when. Pure schema: the workspace stores it, the contract carries it.
 */
import { z } from 'zod';

export const ConnectImportFile = z.object({ file: z.string(), kind: z.enum(['cs-xml', 'cs-json', 'rules', 'runs']), bytes: z.number().int().nonnegative() });

const ImportStats = z.object({ aadUsers: z.number().int(), adOnly: z.number().int(), otherTypes: z.number().int(), rulesTouchingMobile: z.number().int() });

export const ConnectImportInfo = z.object({
  importedAt: z.string(),
  objects: z.number().int().nonnegative(),
  files: z.array(ConnectImportFile),
  stats: ImportStats,
  /**
   * Restored from a masked workspace export: the exported values are bullets. Shown, never joined by
   * a scan (a masked value equals no real one, so every exported user would be misjudged).
   */
  masked: z.boolean().optional(),
});
export type ConnectImportInfo = z.infer<typeof ConnectImportInfo>;

/** ConnectImportInfo refusing unknown keys at every level, for files a person may have edited. */
export const ConnectImportInfoStrict = z.strictObject({
  ...ConnectImportInfo.shape,
  files: z.array(ConnectImportFile.strict()),
  stats: ImportStats.strict(),
});

