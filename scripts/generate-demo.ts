/**
 * Generates assets/demo/directory.ldif: the demo's on-prem directory (a few hundred users with names
 * in several scripts and mobile numbers in several countries and formats, the named cast of
 * main/sandbox/demo-cast.ts, and the system objects Entra Connect's default scope leaves out).
 * Deterministic: same output on every run (seeded PRNG, derived GUIDs, fixed dates).
 *
 *   node --import tsx scripts/generate-demo.ts [--check]
 *
 * --check exits 1 when the committed file differs from what this script generates.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEMO_BASE_DN, DEMO_CAST, DEMO_UPN_SUFFIX, type CastMember } from '../main/sandbox/demo-cast';
import { deterministicGuid, guidTextToBytes } from '../main/sandbox/ids';
import { formatLdifLine } from '../main/sandbox/ldif';
import { mulberry32 } from '../main/core/prng';

const POPULATION = 300;
const DOMAIN_SID = 'S-1-5-21-3623811015-3361044348-30300820';

let rnd = mulberry32(20250403);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');

interface Culture {
  c: string;
  sites: string[];
  weight: number;
  /** [native, romanized, gender] (gender only where surnames agree with it). */
  given: Given[];
  /** [native, romanized, female native, female romanized] (female forms where the language has them). */
  surname: Surname[];
  /** Display name from native parts. */
  display: (g: string, s: string) => string;
  mobile: () => string;
  phone: () => string;
}

type Given = [string, string] | [string, string, 'f' | 'm'];
type Surname = [string, string] | [string, string, string, string];
const same = (xs: string[]): [string, string][] => xs.map((x) => [x, x]);

const CULTURES: Culture[] = [
  {
    c: 'US',
    sites: ['Seattle', 'Fort Mill', 'Austin'],
    weight: 18,
    given: same([
      'James',
      'Mary',
      'Robert',
      'Patricia',
      'Michael',
      'Jennifer',
      'Darnell',
      'Keisha',
      'Tyler',
      'Madison',
      'Luis',
      'Ashley',
    ]),
    surname: same([
      "O'Brien",
      "O'Neil",
      'Johnson',
      'Williams',
      'Brown',
      'Jones',
      'García',
      'Miller',
      'Davis',
      'Washington',
      'Nguyen',
      "D'Souza",
    ]),
    display: (g, s) => `${g} ${s}`,
    mobile: () =>
      pick([
        () => `+1 425 555 01${digits(2)}`,
        () => `(206) 555-01${digits(2)}`,
        () => `803-555-01${digits(2)}`,
        () => `512555${digits(4)}`,
        () => `+1-704-555-01${digits(2)}`,
      ])(),
    phone: () => `+1 425 555 0${digits(3)}`,
  },
  {
    c: 'GB',
    sites: ['London', 'Manchester'],
    weight: 8,
    given: same(['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Noah', 'Freya']),
    surname: same(['Smith', 'Taylor', "O'Connor", 'Evans', 'Thomas', 'Roberts', 'Khan', 'Wright']),
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+44 7700 900${digits(3)}`, () => `07700 900${digits(3)}`, () => `+447700900${digits(3)}`])(),
    phone: () => `+44 20 7946 0${digits(3)}`,
  },
  {
    c: 'IE',
    sites: ['Dublin'],
    weight: 4,
    given: [
      ['Seán', 'Sean'],
      ['Siobhán', 'Siobhan'],
      ['Niamh', 'Niamh'],
      ['Ciarán', 'Ciaran'],
      ['Aoife', 'Aoife'],
    ],
    surname: [
      ["O'Sullivan", 'OSullivan'],
      ['Ó Briain', 'OBriain'],
      ["O'Reilly", 'OReilly'],
      ['Mac Giolla', 'MacGiolla'],
      ['Byrne', 'Byrne'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+353 87 ${digits(3)} ${digits(4)}`, () => `086 ${digits(3)} ${digits(4)}`])(),
    phone: () => `+353 1 ${digits(3)} ${digits(4)}`,
  },
  {
    c: 'FR',
    sites: ['Paris', 'Lyon'],
    weight: 8,
    given: [
      ['Élodie', 'Elodie'],
      ['François', 'Francois'],
      ['Hélène', 'Helene'],
      ['Jérôme', 'Jerome'],
      ['Chloé', 'Chloe'],
      ['Loïc', 'Loic'],
      ['Anaïs', 'Anais'],
      ['Noël', 'Noel'],
    ],
    surname: [
      ['Lefèvre', 'Lefevre'],
      ['Dubois', 'Dubois'],
      ['Bérenger', 'Berenger'],
      ['Giraud', 'Giraud'],
      ['Léger', 'Leger'],
      ["D'Arcy", 'DArcy'],
      ["N'Diaye", 'NDiaye'],
      ['Mercier', 'Mercier'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () =>
      pick([
        () => `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
        () => `06 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
        () => `+33 (0)7 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
      ])(),
    phone: () => `+33 1 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
  },
  {
    c: 'DE',
    sites: ['Berlin', 'München'],
    weight: 8,
    given: [
      ['Jürgen', 'Juergen'],
      ['Björn', 'Bjoern'],
      ['Käthe', 'Kaethe'],
      ['Jörg', 'Joerg'],
      ['Lena', 'Lena'],
      ['Uwe', 'Uwe'],
      ['Anja', 'Anja'],
    ],
    surname: [
      ['Müller', 'Mueller'],
      ['Schröder', 'Schroeder'],
      ['Weiß', 'Weiss'],
      ['Groß', 'Gross'],
      ['Köhler', 'Koehler'],
      ['Bäcker', 'Baecker'],
      ['Schmidt', 'Schmidt'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+49 151 ${digits(8)}`, () => `0160 ${digits(7)}`, () => `+49 (0)171 ${digits(3)} ${digits(4)}`])(),
    phone: () => `+49 30 ${digits(6)}`,
  },
  {
    c: 'ES',
    sites: ['Madrid'],
    weight: 5,
    given: [
      ['José', 'Jose'],
      ['María', 'Maria'],
      ['Ángel', 'Angel'],
      ['Inés', 'Ines'],
      ['Íñigo', 'Inigo'],
    ],
    surname: [
      ['Núñez', 'Nunez'],
      ['Peña', 'Pena'],
      ['Gutiérrez', 'Gutierrez'],
      ['Muñoz', 'Munoz'],
      ['Ibáñez', 'Ibanez'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+34 612 ${digits(3)} ${digits(3)}`, () => `612${digits(6)}`])(),
    phone: () => `+34 91 ${digits(3)} ${digits(2)} ${digits(2)}`,
  },
  {
    c: 'PL',
    sites: ['Warsaw'],
    weight: 5,
    given: [
      ['Łukasz', 'Lukasz', 'm'],
      ['Małgorzata', 'Malgorzata', 'f'],
      ['Paweł', 'Pawel', 'm'],
      ['Zofia', 'Zofia', 'f'],
      ['Grzegorz', 'Grzegorz', 'm'],
    ],
    surname: [
      ['Wiśniewski', 'Wisniewski', 'Wiśniewska', 'Wisniewska'],
      ['Kowalczyk', 'Kowalczyk'],
      ['Żak', 'Zak'],
      ['Dąbrowski', 'Dabrowski', 'Dąbrowska', 'Dabrowska'],
      ['Wójcik', 'Wojcik'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+48 601 ${digits(3)} ${digits(3)}`, () => `512-${digits(3)}-${digits(3)}`])(),
    phone: () => `+48 22 ${digits(3)} ${digits(2)} ${digits(2)}`,
  },
  {
    c: 'SE',
    sites: ['Stockholm'],
    weight: 4,
    given: [
      ['Åsa', 'Asa'],
      ['Örjan', 'Orjan'],
      ['Märta', 'Marta'],
      ['Björn', 'Bjorn'],
      ['Elin', 'Elin'],
    ],
    surname: [
      ['Ångström', 'Angstrom'],
      ['Sjöberg', 'Sjoberg'],
      ['Lindqvist', 'Lindqvist'],
      ['Öberg', 'Oberg'],
      ['Nyström', 'Nystrom'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () =>
      pick([() => `+46 70 ${digits(3)} ${digits(2)} ${digits(2)}`, () => `070-${digits(3)} ${digits(2)} ${digits(2)}`])(),
    phone: () => `+46 8 ${digits(3)} ${digits(3)} ${digits(2)}`,
  },
  {
    c: 'TR',
    sites: ['Istanbul'],
    weight: 4,
    given: [
      ['Çağla', 'Cagla'],
      ['Şükrü', 'Sukru'],
      ['Gökhan', 'Gokhan'],
      ['İpek', 'Ipek'],
      ['Emre', 'Emre'],
    ],
    surname: [
      ['Yılmaz', 'Yilmaz'],
      ['Öztürk', 'Ozturk'],
      ['Çelik', 'Celik'],
      ['Şahin', 'Sahin'],
      ['Aydın', 'Aydin'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+90 532 ${digits(3)} ${digits(2)} ${digits(2)}`, () => `0532 ${digits(3)} ${digits(4)}`])(),
    phone: () => `+90 212 ${digits(3)} ${digits(2)} ${digits(2)}`,
  },
  {
    c: 'VN',
    sites: ['Hanoi'],
    weight: 4,
    given: [
      ['Anh', 'Anh'],
      ['Bảo', 'Bao'],
      ['Hương', 'Huong'],
      ['Dũng', 'Dung'],
      ['Thảo', 'Thao'],
    ],
    surname: [
      ['Nguyễn', 'Nguyen'],
      ['Trần', 'Tran'],
      ['Phạm', 'Pham'],
      ['Lê', 'Le'],
      ['Võ', 'Vo'],
    ],
    display: (g, s) => `${s} ${g}`,
    mobile: () => pick([() => `+84 912 ${digits(3)} ${digits(3)}`, () => `0912 ${digits(3)} ${digits(3)}`])(),
    phone: () => `+84 24 ${digits(4)} ${digits(4)}`,
  },
  {
    c: 'RU',
    sites: ['Moscow'],
    weight: 7,
    given: [
      ['Алексей', 'Aleksei', 'm'],
      ['Ольга', 'Olga', 'f'],
      ['Дмитрий', 'Dmitri', 'm'],
      ['Наталья', 'Natalia', 'f'],
      ['Сергей', 'Sergei', 'm'],
      ['Татьяна', 'Tatiana', 'f'],
    ],
    surname: [
      ['Смирнов', 'Smirnov', 'Смирнова', 'Smirnova'],
      ['Волков', 'Volkov', 'Волкова', 'Volkova'],
      ['Соколов', 'Sokolov', 'Соколова', 'Sokolova'],
      ['Попов', 'Popov', 'Попова', 'Popova'],
      ['Лебедев', 'Lebedev', 'Лебедева', 'Lebedeva'],
      ['Морозов', 'Morozov', 'Морозова', 'Morozova'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () =>
      pick([
        () => `+7 912 ${digits(3)}-${digits(2)}-${digits(2)}`,
        () => `8 (916) ${digits(3)}-${digits(2)}-${digits(2)}`,
        () => `+79${digits(9)}`,
      ])(),
    phone: () => `+7 495 ${digits(3)}-${digits(2)}-${digits(2)}`,
  },
  {
    c: 'UA',
    sites: ['Kyiv'],
    weight: 4,
    given: [
      ['Олена', 'Olena'],
      ['Андрій', 'Andrii'],
      ['Ірина', 'Iryna'],
      ['Тарас', 'Taras'],
      ['Оксана', 'Oksana'],
    ],
    surname: [
      ['Шевченко', 'Shevchenko'],
      ['Коваленко', 'Kovalenko'],
      ['Бондаренко', 'Bondarenko'],
      ['Ткаченко', 'Tkachenko'],
      ["Мар'яненко", 'Marianenko'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+380 67 ${digits(3)} ${digits(2)} ${digits(2)}`, () => `067 ${digits(3)} ${digits(4)}`])(),
    phone: () => `+380 44 ${digits(3)} ${digits(2)} ${digits(2)}`,
  },
  {
    c: 'GR',
    sites: ['Athens'],
    weight: 4,
    given: [
      ['Γιώργος', 'Giorgos', 'm'],
      ['Μαρία', 'Maria', 'f'],
      ['Νίκος', 'Nikos', 'm'],
      ['Ελένη', 'Eleni', 'f'],
      ['Κώστας', 'Kostas', 'm'],
    ],
    surname: [
      ['Παπαδόπουλος', 'Papadopoulos', 'Παπαδοπούλου', 'Papadopoulou'],
      ['Κωνσταντίνου', 'Konstantinou'],
      ['Γεωργίου', 'Georgiou'],
      ['Δημητρίου', 'Dimitriou'],
      ['Νικολάου', 'Nikolaou'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+30 69${digits(1)} ${digits(3)} ${digits(4)}`, () => `69${digits(8)}`])(),
    phone: () => `+30 210 ${digits(3)} ${digits(4)}`,
  },
  {
    c: 'CN',
    sites: ['Shanghai'],
    weight: 6,
    given: [
      ['伟', 'Wei'],
      ['娜', 'Na'],
      ['敏', 'Min'],
      ['洋', 'Yang'],
      ['静', 'Jing'],
      ['磊', 'Lei'],
    ],
    surname: [
      ['王', 'Wang'],
      ['李', 'Li'],
      ['张', 'Zhang'],
      ['刘', 'Liu'],
      ['陈', 'Chen'],
      ['杨', 'Yang'],
    ],
    display: (g, s) => `${s}${g}`,
    mobile: () =>
      pick([() => `+86 138 ${digits(4)} ${digits(4)}`, () => `139${digits(8)}`, () => `+86-186-${digits(4)}-${digits(4)}`])(),
    phone: () => `+86 21 ${digits(4)} ${digits(4)}`,
  },
  {
    c: 'JP',
    sites: ['Tokyo'],
    weight: 5,
    given: [
      ['健', 'Ken'],
      ['花子', 'Hanako'],
      ['翔', 'Sho'],
      ['美咲', 'Misaki'],
      ['大輔', 'Daisuke'],
      ['さくら', 'Sakura'],
      ['ひろし', 'Hiroshi'],
    ],
    surname: [
      ['佐藤', 'Sato'],
      ['鈴木', 'Suzuki'],
      ['高橋', 'Takahashi'],
      ['田中', 'Tanaka'],
      ['渡辺', 'Watanabe'],
    ],
    display: (g, s) => `${s} ${g}`,
    mobile: () =>
      pick([() => `090-${digits(4)}-${digits(4)}`, () => `+81 80-${digits(4)}-${digits(4)}`, () => `070${digits(8)}`])(),
    phone: () => `+81 3-${digits(4)}-${digits(4)}`,
  },
  {
    c: 'KR',
    sites: ['Seoul'],
    weight: 4,
    given: [
      ['민준', 'Minjun'],
      ['서연', 'Seoyeon'],
      ['지훈', 'Jihoon'],
      ['하은', 'Haeun'],
    ],
    surname: [
      ['김', 'Kim'],
      ['이', 'Lee'],
      ['박', 'Park'],
      ['최', 'Choi'],
    ],
    display: (g, s) => `${s}${g}`,
    mobile: () => pick([() => `010-${digits(4)}-${digits(4)}`, () => `+82 10-${digits(4)}-${digits(4)}`])(),
    phone: () => `+82 2-${digits(4)}-${digits(4)}`,
  },
  {
    c: 'AE',
    sites: ['Dubai'],
    weight: 4,
    given: [
      ['محمد', 'Mohammed'],
      ['فاطمة', 'Fatima'],
      ['أحمد', 'Ahmed'],
      ['ليلى', 'Layla'],
      ['عمر', 'Omar'],
    ],
    surname: [
      ['العلي', 'AlAli'],
      ['حسن', 'Hassan'],
      ['منصور', 'Mansour'],
      ['خالد', 'Khaled'],
      ['الهاشمي', 'AlHashimi'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () =>
      pick([() => `+971 50 ${digits(3)} ${digits(4)}`, () => `050 ${digits(3)} ${digits(4)}`, () => `+971-55-${digits(7)}`])(),
    phone: () => `+971 4 ${digits(3)} ${digits(4)}`,
  },
  {
    c: 'SA',
    sites: ['Riyadh'],
    weight: 3,
    given: [
      ['عبدالله', 'Abdullah'],
      ['نورة', 'Noura'],
      ['خالد', 'Khalid'],
      ['سارة', 'Sara'],
    ],
    surname: [
      ['القحطاني', 'AlQahtani'],
      ['الشهري', 'AlShehri'],
      ['العتيبي', 'AlOtaibi'],
      ['الدوسري', 'AlDosari'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+966 50 ${digits(3)} ${digits(4)}`, () => `05${digits(8)}`])(),
    phone: () => `+966 11 ${digits(3)} ${digits(4)}`,
  },
  {
    c: 'IN',
    sites: ['Bengaluru', 'Pune'],
    weight: 6,
    given: same(['Priya', 'Rahul', 'Ananya', 'Vikram', 'Sneha', 'Arjun']),
    surname: same(['Sharma', 'Verma', 'Iyer', 'Reddy', 'Nair', 'Gupta']),
    display: (g, s) => `${g} ${s}`,
    mobile: () =>
      pick([() => `+91 98${digits(3)} ${digits(5)}`, () => `098${digits(2)}-${digits(5)}`, () => `+91-97${digits(8)}`])(),
    phone: () => `+91 80 ${digits(4)} ${digits(4)}`,
  },
  {
    c: 'BR',
    sites: ['São Paulo'],
    weight: 4,
    given: [
      ['João', 'Joao'],
      ['Luíza', 'Luiza'],
      ['Thiago', 'Thiago'],
      ['Conceição', 'Conceicao'],
    ],
    surname: [
      ['Gonçalves', 'Goncalves'],
      ['Araújo', 'Araujo'],
      ['Simões', 'Simoes'],
      ['Magalhães', 'Magalhaes'],
    ],
    display: (g, s) => `${g} ${s}`,
    mobile: () => pick([() => `+55 11 9${digits(4)}-${digits(4)}`, () => `(11) 9${digits(4)}-${digits(4)}`])(),
    phone: () => `+55 11 ${digits(4)}-${digits(4)}`,
  },
];

function ascii(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[łŁ]/g, 'l')
    .replace(/[ıİ]/g, 'i')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

interface Person {
  sam: string;
  upnLocal: string;
  givenName: string;
  surname: string;
  displayName: string;
  site: string;
  c: string;
  mobile: string | null;
  otherMobile: string[];
  telephoneNumber: string | null;
}

function population(taken: Set<string>, takenUpn: Set<string>, takenDn: Set<string>): Person[] {
  const totalWeight = CULTURES.reduce((n, c) => n + c.weight, 0);
  const out: Person[] = [];
  for (const culture of CULTURES) {
    const count = Math.round((POPULATION * culture.weight) / totalWeight);
    for (let i = 0; i < count; i++) {
      const [g, gLatin, gender] = pick(culture.given);
      const surname = pick(culture.surname);
      const female = gender === 'f' && surname.length === 4;
      const s = female ? surname[2] : surname[0];
      const sLatin = female ? surname[3] : surname[1];
      let sam = (ascii(gLatin).slice(0, 1) + ascii(sLatin)).slice(0, 18);
      for (let n = 2; taken.has(sam); n++) sam = `${(ascii(gLatin).slice(0, 1) + ascii(sLatin)).slice(0, 17)}${n}`;
      taken.add(sam);
      let upnLocal = `${ascii(gLatin)}.${ascii(sLatin)}`;
      for (let n = 2; takenUpn.has(upnLocal); n++) upnLocal = `${ascii(gLatin)}.${ascii(sLatin)}${n}`;
      takenUpn.add(upnLocal);
      const r = rnd();
      let displayName = culture.display(g, s);
      // Two people with one name in one OU: AD needs distinct CNs, admins add the account name.
      if (takenDn.has(`${displayName}|${culture.c}`)) displayName = `${displayName} (${sam})`;
      takenDn.add(`${displayName}|${culture.c}`);
      out.push({
        sam,
        upnLocal,
        givenName: g,
        surname: s,
        displayName,
        site: pick(culture.sites),
        c: culture.c,
        mobile: r < 0.12 ? null : culture.mobile(),
        otherMobile: rnd() < 0.08 ? [culture.mobile()] : [],
        telephoneNumber: rnd() < 0.6 ? culture.phone() : null,
      });
    }
  }
  return out;
}

function userDn(p: { displayName: string; site: string }): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1');
  return `CN=${esc(p.displayName)},OU=Users,OU=${esc(p.site)},${DEMO_BASE_DN}`;
}

function whenCreated(i: number): string {
  // Spread over 2016–2024; fixed so the file is stable.
  const start = Date.UTC(2016, 0, 4, 9);
  const t = start + Math.floor(rnd() * 9 * 365) * 86_400_000 + (i % 480) * 60_000;
  return new Date(t)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, '.0Z');
}

function personLines(p: Person | CastMember, rid: number, index: number): string[] {
  const dn = userDn(p);
  const guid = deterministicGuid(`demo/${p.sam}`);
  const r = rnd();
  // Most users carry mS-DS-ConsistencyGuid written back by Connect (= objectGUID bytes); older ones
  // have none (anchor = objectGUID); a few were migrated from another forest and carry a foreign one.
  const consistency =
    r < 0.82 ? guidTextToBytes(guid) : r < 0.95 ? null : guidTextToBytes(deterministicGuid(`legacy-forest/${p.sam}`));
  const lines = [
    // Non-ASCII values are base64 in LDIF; a comment keeps the file readable.
    ...(/^[\x20-\x7e]*$/.test(p.displayName) ? [] : [`# ${p.displayName}`]),
    formatLdifLine('dn', dn),
    'objectClass: top',
    'objectClass: person',
    'objectClass: organizationalPerson',
    'objectClass: user',
    formatLdifLine('cn', p.displayName),
    formatLdifLine('givenName', p.givenName),
    formatLdifLine('sn', p.surname),
    formatLdifLine('displayName', p.displayName),
    formatLdifLine('sAMAccountName', p.sam),
    formatLdifLine('userPrincipalName', `${p.upnLocal}@${DEMO_UPN_SUFFIX}`),
    formatLdifLine('objectGUID', guidTextToBytes(guid)),
  ];
  if (consistency) lines.push(formatLdifLine('mS-DS-ConsistencyGuid', consistency));
  lines.push(formatLdifLine('objectSid', `${DOMAIN_SID}-${rid}`));
  if (p.mobile) lines.push(formatLdifLine('mobile', p.mobile));
  for (const m of p.otherMobile ?? []) lines.push(formatLdifLine('otherMobile', m));
  if (p.telephoneNumber) lines.push(formatLdifLine('telephoneNumber', p.telephoneNumber));
  lines.push(formatLdifLine('c', p.c), formatLdifLine('l', p.site), formatLdifLine('whenCreated', whenCreated(index)));
  return lines;
}

function systemObjects(): string[][] {
  const sys = (cn: string, container: string, extra: string[]) => [
    formatLdifLine('dn', `CN=${cn},${container},${DEMO_BASE_DN}`),
    'objectClass: top',
    'objectClass: person',
    'objectClass: organizationalPerson',
    'objectClass: user',
    formatLdifLine('cn', cn),
    formatLdifLine('objectGUID', guidTextToBytes(deterministicGuid(`demo-system/${cn}`))),
    ...extra,
    'whenCreated: 20160104083000.0Z',
  ];
  return [
    sys('Administrator', 'CN=Users', [
      'sAMAccountName: Administrator',
      `objectSid: ${DOMAIN_SID}-500`,
      'isCriticalSystemObject: TRUE',
      'mobile: +1 425 555 0100',
    ]),
    sys('Guest', 'CN=Users', ['sAMAccountName: Guest', `objectSid: ${DOMAIN_SID}-501`, 'isCriticalSystemObject: TRUE']),
    sys('krbtgt', 'CN=Users', ['sAMAccountName: krbtgt', `objectSid: ${DOMAIN_SID}-502`, 'isCriticalSystemObject: TRUE']),
    sys('DefaultAccount', 'CN=Users', [
      'sAMAccountName: DefaultAccount',
      `objectSid: ${DOMAIN_SID}-503`,
      'isCriticalSystemObject: TRUE',
    ]),
    sys('MSOL_5d3f9a1c2b7e', 'CN=Users', [
      'sAMAccountName: MSOL_5d3f9a1c2b7e',
      `objectSid: ${DOMAIN_SID}-1101`,
      'displayName: Entra Connect sync account (AADCONNECT01)',
    ]),
    sys('AAD_8e41c07f55a2', 'CN=Users', ['sAMAccountName: AAD_8e41c07f55a2', `objectSid: ${DOMAIN_SID}-1102`]),
    sys('SUPPORT_388945a0', 'CN=Users', ['sAMAccountName: SUPPORT_388945a0', `objectSid: ${DOMAIN_SID}-1001`]),
    sys('SystemMailbox{1f05a927-3be2-4fb9-aa03-b59fe3b56f4c}', 'CN=Users', [
      'sAMAccountName: SM_3f1e1c7e9b2a4c6d8',
      'mailNickname: SystemMailbox{1f05a927-3be2-4fb9-aa03-b59fe3b56f4c}',
      'msExchRecipientTypeDetails: 8388608',
      `objectSid: ${DOMAIN_SID}-1120`,
    ]),
    sys('DiscoverySearchMailbox {D919BA05-46A6-415f-80AD-7E09334BB852}', 'CN=Users', [
      'sAMAccountName: SM_8b2d4f6a0c1e3a5b7',
      'mailNickname: DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}',
      'msExchRecipientTypeDetails: 536870912',
      `objectSid: ${DOMAIN_SID}-1121`,
    ]),
    sys('Cloud writeback 4c1d', 'OU=Writeback', [
      'sAMAccountName: cwb4c1d',
      'adminDescription: User_4c1d7a2e',
      `objectSid: ${DOMAIN_SID}-1130`,
      'mobile: +1 425 555 0111',
    ]),
  ];
}

export function generateDemoLdif(): string {
  rnd = mulberry32(20250403);
  const taken = new Set(DEMO_CAST.map((m) => m.sam));
  const takenUpn = new Set(DEMO_CAST.map((m) => m.upnLocal));
  const header = [
    '# SyncDrift Workbench demo directory (contoso, fictitious people and numbers).',
    '# Generated by scripts/generate-demo.ts; do not edit by hand. The named cast is in',
    '# main/sandbox/demo-cast.ts; main/sandbox/demo.ts scripts the history on top of this state.',
    'version: 1',
    '',
  ];
  const blocks: string[][] = [...systemObjects()];
  let rid = 1200;
  let index = 0;
  for (const m of DEMO_CAST) blocks.push(personLines(m, rid++, index++));
  const takenDn = new Set(DEMO_CAST.map((m) => `${m.displayName}|${m.c}`));
  for (const p of population(taken, takenUpn, takenDn)) blocks.push(personLines(p, rid++, index++));
  return header.join('\n') + blocks.map((b) => b.join('\n')).join('\n\n') + '\n';
}

export const DEMO_LDIF_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets/demo/directory.ldif');

function main(): void {
  const target = DEMO_LDIF_PATH;
  const text = generateDemoLdif();
  if (process.argv.includes('--check')) {
    const current = (() => {
      try {
        return readFileSync(target, 'utf8');
      } catch {
        return '';
      }
    })();
    if (current !== text) {
      console.error(`${target} is not what scripts/generate-demo.ts generates; run it and commit the result.`);
      process.exit(1);
    }
    console.log('assets/demo/directory.ldif is up to date');
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote ${target} (${(text.match(/^dn::? /gm) ?? []).length} entries)`);
  }
}

// Run only as a script, not when a test imports generateDemoLdif.
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) main();
