/**
 * What the app shows of an imported Entra Connect export (#18): its files, what the join found and
 * when. Pure schema: the workspace stores it, the contract carries it.
 */
import { z } from 'zod';

export const ConnectImportFile = z.object({ file: z.string(), kind: z.enum(['cs-xml', 'cs-json', 'rules', 'runs']), bytes: z.number().int().nonnegative() });

export const ConnectImportInfo = z.object({
  importedAt: z.string(),
  objects: z.number().int().nonnegative(),
  files: z.array(ConnectImportFile),
  stats: z.object({ aadUsers: z.number().int(), adOnly: z.number().int(), otherTypes: z.number().int(), rulesTouchingMobile: z.number().int() }),
});
export type ConnectImportInfo = z.infer<typeof ConnectImportInfo>;

