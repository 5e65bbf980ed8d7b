/** What happens when a profile becomes the active one: every view re-reads for it. */
import { useDashboardStore } from './dashboard-store';
import { useGridStore } from './grid-store';
import { hasRows, useScanStore } from './scan-store';
import { useDetailsStore } from './details-store';
import { useConnectImportStore } from './connect-import-store';

export async function openProfile(profileId: string): Promise<void> {
  if (!useScanStore.getState().running) useScanStore.getState().reset();
  useDetailsStore.getState().close();
  await Promise.all([useDashboardStore.getState().load(profileId), useGridStore.getState().loadPrefs(profileId), useConnectImportStore.getState().load(profileId)]);
  const { data, scans } = useDashboardStore.getState();
  if (useDashboardStore.getState().profileId !== profileId) return;
  const latest = hasRows(data?.latestScan) ? data!.latestScan : scans.find(hasRows);
  const grid = useGridStore.getState();
  if (latest) {
    if (grid.scanId !== latest.id) await grid.loadScan(latest.id);
  } else grid.setRows([], null);
}
