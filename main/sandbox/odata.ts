/**
 * The OData subset the sandbox understands: $filter clauses joined by `and`, opaque signed skip and
 * delta tokens. What is not understood is refused with Graph's error, never silently ignored.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type FilterValue = string | boolean | null | number;

export type FilterClause =
  | { op: 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt'; prop: string; value: FilterValue }
  | { op: 'in'; prop: string; values: FilterValue[] }
  | { op: 'startswith'; prop: string; value: string }
  /** `targetResources/any(t: t/id eq 'x')`: prop = 'targetResources/id'. */
  | { op: 'any-eq'; prop: string; value: FilterValue };

export class FilterSyntaxError extends Error {}

type Tok = { t: 'id' | 'str' | 'num' | 'sym'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length) throw new FilterSyntaxError('unterminated string literal');
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i];
        i++;
      }
      out.push({ t: 'str', v });
      continue;
    }
    if ('(),:'.includes(c)) {
      out.push({ t: 'sym', v: c });
      i++;
      continue;
    }
    const m = /^[A-Za-z0-9_./+\-:@$]+/.exec(s.slice(i));
    if (!m) throw new FilterSyntaxError(`unexpected character '${c}'`);
    // A bare word that looks like a date-time keeps its colons; ':' alone is a symbol (lambda).
    const word = m[0].endsWith(':') ? m[0].slice(0, -1) : m[0];
    out.push({ t: /^-?\d+(\.\d+)?$/.test(word) ? 'num' : 'id', v: word });
    i += word.length;
  }
  return out;
}

function literal(tok: Tok | undefined): FilterValue {
  if (!tok) throw new FilterSyntaxError('missing value');
  if (tok.t === 'str') return tok.v;
  if (tok.t === 'num') return Number(tok.v);
  if (tok.t === 'id') {
    if (tok.v === 'true') return true;
    if (tok.v === 'false') return false;
    if (tok.v === 'null') return null;
    // Unquoted date-time or GUID literals, as Graph accepts for activityDateTime.
    if (/^\d{4}-\d{2}-\d{2}T/.test(tok.v) || /^[0-9a-f-]{36}$/i.test(tok.v)) return tok.v;
  }
  throw new FilterSyntaxError(`invalid literal '${tok.v}'`);
}

/** Parses `a eq 'x' and b in ('y','z') and startswith(c,'q') and coll/any(t: t/p eq 'v')`. */
export function parseFilter(src: string): FilterClause[] {
  const toks = tokenize(src);
  let i = 0;
  const expect = (v: string) => {
    const tk = toks[i++];
    if (!tk || tk.v.toLowerCase() !== v) throw new FilterSyntaxError(`expected '${v}'`);
  };
  const clauses: FilterClause[] = [];
  for (;;) {
    const head = toks[i++];
    if (!head || head.t !== 'id') throw new FilterSyntaxError('expected a property name');
    if (head.v.toLowerCase() === 'startswith') {
      expect('(');
      const prop = toks[i++];
      expect(',');
      const v = literal(toks[i++]);
      expect(')');
      if (!prop || typeof v !== 'string') throw new FilterSyntaxError('startswith needs a property and a string');
      clauses.push({ op: 'startswith', prop: prop.v, value: v });
    } else if (/\/any$/i.test(head.v)) {
      const coll = head.v.slice(0, -4);
      expect('(');
      const alias = toks[i++];
      expect(':');
      const path = toks[i++];
      if (!alias || !path || !path.v.startsWith(`${alias.v}/`)) throw new FilterSyntaxError('lambda must use its variable');
      expect('eq');
      const v = literal(toks[i++]);
      expect(')');
      clauses.push({ op: 'any-eq', prop: `${coll}/${path.v.slice(alias.v.length + 1)}`, value: v });
    } else {
      const opTok = toks[i++];
      const op = opTok?.v.toLowerCase();
      if (op === 'in') {
        expect('(');
        const values: FilterValue[] = [];
        for (;;) {
          values.push(literal(toks[i++]));
          const sep = toks[i++];
          if (sep?.v === ')') break;
          if (sep?.v !== ',') throw new FilterSyntaxError("expected ',' or ')'");
        }
        clauses.push({ op: 'in', prop: head.v, values });
      } else if (op === 'eq' || op === 'ne' || op === 'ge' || op === 'le' || op === 'gt' || op === 'lt') {
        clauses.push({ op, prop: head.v, value: literal(toks[i++]) });
      } else {
        throw new FilterSyntaxError(`unsupported operator '${opTok?.v ?? ''}'`);
      }
    }
    if (i >= toks.length) break;
    const conj = toks[i++];
    if (conj?.v.toLowerCase() !== 'and') throw new FilterSyntaxError(`only 'and' joins clauses (got '${conj?.v ?? ''}')`);
  }
  return clauses;
}

/** HMAC-signed opaque tokens: clients cannot read, forge or mix them up between endpoints. */
export class TokenCodec {
  constructor(private readonly key: Buffer) {}

  encode(kind: string, payload: unknown): string {
    const body = Buffer.from(JSON.stringify({ k: kind, p: payload })).toString('base64url');
    const mac = createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
    return `${body}.${mac}`;
  }

  decode(kind: string, token: string): unknown {
    const [body, mac] = token.split('.');
    if (!body || !mac) return undefined;
    const want = createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
    const a = Buffer.from(mac);
    const b = Buffer.from(want);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { k?: unknown; p?: unknown };
      return parsed.k === kind ? parsed.p : undefined;
    } catch {
      return undefined;
    }
  }
}
