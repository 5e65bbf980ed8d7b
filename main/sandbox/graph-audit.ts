/**
 * The sandbox's Graph audit log: GET /auditLogs/directoryAudits ($filter on the documented
 * properties, $orderby activityDateTime, $top, skip tokens) and GET /auditLogs/directoryAudits/{id},
 * over the tenant state's audit log.
 */
import type { SandboxResponse } from './http';
import { FilterSyntaxError, parseFilter, type FilterClause } from './odata';
import { AUDIT_ROLES, DEFAULT_AUDIT_PAGE, GraphHttpError, GraphRoutes, denied, has, hasRole, type Ctx } from './graph-routes';
import { toGraphAudit } from './tenant-audit';
import type { AuditQuery } from './tenant-model';

export class AuditRoutes extends GraphRoutes {
  private requireAudit(ctx: Ctx): void {
    if (!has(ctx.claims, ['AuditLog.Read.All'])) throw denied();
    if (ctx.claims.idtyp === 'user' && !hasRole(ctx.claims, AUDIT_ROLES)) throw denied();
  }

  private auditQuery(q: URLSearchParams): Omit<AuditQuery, 'top' | 'after'> {
    const out: Omit<AuditQuery, 'top' | 'after'> = {};
    const raw = q.get('$filter');
    const bad = (what: string) =>
      new GraphHttpError(400, 'BadRequest', `Invalid filter clause: ${what} is not supported on directoryAudits.`);
    if (raw !== null) {
      let clauses: FilterClause[];
      try {
        clauses = parseFilter(raw);
      } catch (e) {
        throw new GraphHttpError(
          400,
          'BadRequest',
          `Invalid filter clause: ${e instanceof FilterSyntaxError ? e.message : 'syntax error'}`,
        );
      }
      for (const c of clauses) {
        if (c.op === 'in' || c.op === 'startswith') throw bad(c.op);
        const v = c.value;
        if (c.prop === 'activityDateTime') {
          const t = typeof v === 'string' ? Date.parse(v) : NaN;
          if (Number.isNaN(t))
            throw new GraphHttpError(400, 'BadRequest', `Invalid filter clause: '${String(v)}' is not a date-time.`);
          if (c.op === 'ge') out.fromMs = Math.max(out.fromMs ?? -Infinity, t);
          else if (c.op === 'gt') out.fromMs = Math.max(out.fromMs ?? -Infinity, t + 1);
          else if (c.op === 'le') out.toMs = Math.min(out.toMs ?? Infinity, t);
          else if (c.op === 'lt') out.toMs = Math.min(out.toMs ?? Infinity, t - 1);
          else throw bad(`activityDateTime ${c.op}`);
          continue;
        }
        if (c.op !== 'eq' && c.op !== 'any-eq') throw bad(`${c.prop} ${c.op}`);
        if (typeof v !== 'string') throw bad(`${c.prop} with a non-string value`);
        switch (c.prop) {
          case 'activityDisplayName':
            out.activityDisplayName = v;
            break;
          case 'category':
            out.category = v;
            break;
          case 'result':
            if (v === 'success' || v === 'failure') out.result = v;
            else throw bad(`result '${v}'`);
            break;
          case 'correlationId':
            out.correlationId = v;
            break;
          case 'loggedByService':
            out.loggedByService = v;
            break;
          case 'targetResources/id':
            out.targetId = v;
            break;
          case 'targetResources/userPrincipalName':
            out.targetUserPrincipalName = v;
            break;
          case 'initiatedBy/user/id':
            out.initiatorUserId = v;
            break;
          case 'initiatedBy/user/userPrincipalName':
            out.initiatorUserPrincipalName = v;
            break;
          case 'initiatedBy/app/appId':
            out.initiatorAppId = v;
            break;
          case 'initiatedBy/app/displayName':
            out.initiatorAppDisplayName = v;
            break;
          default:
            throw bad(c.prop);
        }
      }
    }
    const ob = q.get('$orderby');
    if (ob !== null) {
      const m = /^activityDateTime(\s+(asc|desc))?$/i.exec(ob.trim());
      if (!m) throw new GraphHttpError(400, 'BadRequest', `Invalid $orderby '${ob}': only activityDateTime is supported.`);
      out.order = (m[2] ?? 'asc').toLowerCase() as 'asc' | 'desc';
    }
    return out;
  }

  audits(ctx: Ctx, q: URLSearchParams): SandboxResponse {
    this.requireAudit(ctx);
    const top = this.topOf(q, DEFAULT_AUDIT_PAGE);
    const query = this.auditQuery(q);
    this.charge(ctx, 'audit', 1);
    let after: { at: number; seq: number } | undefined;
    const st = q.get('$skiptoken');
    if (st !== null) {
      const p = this.codec.decode('audits', st) as { at?: unknown; seq?: unknown } | undefined;
      if (!p || typeof p.at !== 'number' || typeof p.seq !== 'number')
        throw new GraphHttpError(400, 'BadRequest', 'The $skiptoken is not valid for this request.');
      after = { at: p.at, seq: p.seq };
    }
    const page = this.tenant.queryAudits({ ...query, top, after });
    const body: Record<string, unknown> = { '@odata.context': this.context(ctx, 'auditLogs/directoryAudits') };
    if (page.next) {
      const params = new URLSearchParams(q);
      params.set('$skiptoken', this.codec.encode('audits', page.next));
      body['@odata.nextLink'] = this.link(ctx, '/auditLogs/directoryAudits', params);
    }
    body.value = page.records.map(toGraphAudit);
    return this.ok(200, body);
  }

  auditById(ctx: Ctx, id: string): SandboxResponse {
    this.requireAudit(ctx);
    this.charge(ctx, 'audit', 1);
    const m = /^Directory_([0-9a-f-]{36})_/.exec(id);
    const rec = m ? this.tenant.queryAudits({ correlationId: m[1]!, top: 50 }).records.find((r) => r.id === id) : undefined;
    if (!rec) throw new GraphHttpError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist.`);
    return this.ok(200, { '@odata.context': this.context(ctx, 'auditLogs/directoryAudits/$entity'), ...toGraphAudit(rec) });
  }
}
