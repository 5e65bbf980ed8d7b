/**
 * The sandbox tenant as the workbench runs it: the demo (or the state saved in the workspace), the
 * HTTPS identity + Graph server on loopback, and a CloudClient signed in through msal's real device
 * code flow as the sandbox's Global Administrator (the sandbox approves its own code), so the demo
 * exercises exactly the code paths of a real tenant, bypass state included.
 */
import { createCloudClient, type CloudClient } from '../cloud';
import { createNodeNetwork, type NodeNetwork } from '../cloud/network';
import type { Clock, Logger } from '../core/ports';
import { SyncDriftError } from '../core/errors';
import { buildDemo, restoreSandbox, serializeSandbox, type SandboxDemo } from '../sandbox/demo';
import { startSandboxTenant, type SandboxTenant } from '../sandbox/server';
import type { Workspace } from '../workspace';

const STATE_KEY = 'sandbox:state';

export interface SandboxRuntimeOptions {
  workspace: Workspace;
  logger: Logger;
  clock: Clock;
}

export interface SandboxConnection {
  demo: SandboxDemo;
  server: SandboxTenant;
  client: CloudClient;
  network: NodeNetwork;
}

export class SandboxRuntime {
  private starting: Promise<SandboxConnection> | null = null;
  private current: SandboxConnection | null = null;

  constructor(private readonly opts: SandboxRuntimeOptions) {}

  /** Starts the sandbox on first use; later calls share it. */
  get(): Promise<SandboxConnection> {
    if (!this.starting) {
      this.starting = this.start().catch((e: unknown) => {
        this.starting = null;
        throw e;
      });
    }
    return this.starting;
  }

  get running(): SandboxConnection | null {
    return this.current;
  }

  private async loadDemo(): Promise<SandboxDemo> {
    const saved = this.opts.workspace.blobs.get(STATE_KEY);
    if (saved) {
      try {
        return restoreSandbox(saved.toString('utf8'));
      } catch (e) {
        // A damaged saved state must not lock the admin out of the demo: rebuild it and say so.
        this.opts.logger.warn('the saved sandbox state could not be restored; rebuilding the demo', { error: e instanceof Error ? e.message : String(e) });
      }
    }
    const demo = await buildDemo();
    this.opts.workspace.blobs.put(STATE_KEY, serializeSandbox(demo));
    return demo;
  }

  private async start(): Promise<SandboxConnection> {
    const demo = await this.loadDemo();
    return this.connect(demo);
  }

  private async connect(demo: SandboxDemo): Promise<SandboxConnection> {
    const server = await startSandboxTenant({ tenant: demo.tenant, clock: this.opts.clock });
    const network = await createNodeNetwork({ extraCaPem: [server.caPem], env: {} });
    const client = createCloudClient({
      profileCloud: { cloud: 'custom', tenant: server.tenantId, clientId: server.apps.workbench.appId, authorityHost: server.origin, graphBaseUrl: server.origin },
      network,
      logger: this.opts.logger.child({ component: 'sandbox-client' }),
      clock: this.opts.clock,
      auditRetentionDays: 30,
    });
    const admin = server.users.globalAdmin;
    await client.signIn({
      flow: 'device-code',
      onDeviceCode: (info) => {
        const refused = server.approveDeviceCode(info.userCode, admin.userPrincipalName, admin.password);
        if (refused) this.opts.logger.error('the sandbox refused its own device code', { reason: refused });
      },
    });
    this.current = { demo, server, client, network };
    return this.current;
  }

  /** Persists both sides and the simulator to the workspace, so a demo survives a restart. */
  save(): void {
    if (this.current) this.opts.workspace.blobs.put(STATE_KEY, serializeSandbox(this.current.demo));
  }

  /** "Reset demo": the scripted history from scratch, on a new server. */
  async reset(): Promise<SandboxConnection> {
    await this.stop();
    const demo = await buildDemo();
    this.opts.workspace.blobs.put(STATE_KEY, serializeSandbox(demo));
    this.starting = this.connect(demo);
    return this.starting;
  }

  requireRunning(): SandboxConnection {
    if (!this.current) throw new SyncDriftError('internal', 'SANDBOX_NOT_STARTED', 'The sandbox tenant is not running yet; open the sandbox profile first.');
    return this.current;
  }

  async stop(): Promise<void> {
    const c = this.current;
    this.current = null;
    this.starting = null;
    if (!c) return;
    this.opts.workspace.blobs.put(STATE_KEY, serializeSandbox(c.demo));
    await c.network.close();
    await c.server.close();
  }
}
