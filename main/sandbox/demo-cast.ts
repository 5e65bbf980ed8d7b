/**
 * The demo's named cast: the people whose history shows one status each. Shared by the LDIF
 * generator (scripts/generate-demo.ts writes them into assets/demo/directory.ldif) and by the demo
 * builder (demo.ts scripts their history), so both agree on who is who.
 */

export type DemoRole =
  | 'field-report' // the testmobile story of the field report
  | 'cloud-override' // cloud edited to another number: DirSyncOverrides, AD ignored
  | 'format-only' // cloud edited to another format of the same number
  | 'cloud-missing' // cloud value removed, AD still has one
  | 'onprem-missing' // cloud value added where AD has none
  | 'pending-sync' // AD changed after the last cycle
  | 'unmatched-onprem' // created in AD after the last cycle (in scope, never synced)
  | 'unmatched-cloud' // deleted in AD after the last cycle (cloud object still there)
  | 'alternate-edited' // AlternateMobilePhones edited in the cloud (what the bypass overwrites)
  | 'once-synced' // onPremisesSyncEnabled false, then edited through Graph
  | 'cloud-managed'; // object SOA switched to the cloud, then edited through Graph

export interface CastMember {
  sam: string;
  /** Local part of the UPN (suffix is the demo's UPN suffix). */
  upnLocal: string;
  givenName: string;
  surname: string;
  displayName: string;
  site: string;
  c: string;
  mobile: string | null;
  otherMobile?: string[];
  telephoneNumber?: string;
  role: DemoRole;
  /** Cloud value the history leaves (cloud edits); `undefined` where the role needs none. */
  cloudValue?: string | null;
  /** AD value after the last cycle (pending-sync). */
  laterOnPrem?: string;
  /** Cloud AlternateMobilePhones after the edit (alternate-edited). */
  cloudAlternates?: string[];
  /** Days before "now" when the cloud edit happened (30+ is outside the audit retention). */
  editedDaysAgo?: number;
  /** Who edited in the cloud: the user (self-service) or the help desk (portal / Set-MsolUser). */
  editedBy?: 'self' | 'helpdesk';
}

export const DEMO_UPN_SUFFIX = 'contoso.com';
export const DEMO_BASE_DN = 'DC=corp,DC=contoso,DC=com';

export const DEMO_CAST: readonly CastMember[] = [
  // The field report, told with its own numbers.
  {
    sam: 'testmobile',
    upnLocal: 'testmobile',
    givenName: 'Test',
    surname: 'Mobile',
    displayName: 'testmobile',
    site: 'Fort Mill',
    c: 'US',
    mobile: '8035551212',
    role: 'field-report',
  },

  {
    sam: 'oivanova',
    upnLocal: 'olga.ivanova',
    givenName: 'Ольга',
    surname: 'Иванова',
    displayName: 'Ольга Иванова',
    site: 'Moscow',
    c: 'RU',
    mobile: '+7 912 345-67-89',
    role: 'cloud-override',
    cloudValue: '+7 916 555-12-34',
    editedDaysAgo: 45,
    editedBy: 'self',
  },
  {
    sam: 'sosullivan',
    upnLocal: 'siobhan.osullivan',
    givenName: 'Siobhán',
    surname: "O'Sullivan",
    displayName: "Siobhán O'Sullivan",
    site: 'Dublin',
    c: 'IE',
    mobile: '+353 87 123 4567',
    telephoneNumber: '+353 1 555 0142',
    role: 'cloud-override',
    cloudValue: '+353 86 765 4321',
    editedDaysAgo: 9,
    editedBy: 'helpdesk',
  },
  {
    sam: 'ndangelo',
    upnLocal: 'nico.dangelo',
    givenName: 'Nico',
    surname: "D'Angelo",
    displayName: "Nico D'Angelo",
    site: 'Seattle',
    c: 'US',
    mobile: '(206) 555-0187',
    role: 'cloud-override',
    cloudValue: '(206) 555-0199',
    editedDaysAgo: 3,
    editedBy: 'self',
  },

  {
    sam: 'gpapadopoulos',
    upnLocal: 'giorgos.papadopoulos',
    givenName: 'Γιώργος',
    surname: 'Παπαδόπουλος',
    displayName: 'Γιώργος Παπαδόπουλος',
    site: 'Athens',
    c: 'GR',
    mobile: '+30 691 234 5678',
    role: 'format-only',
    cloudValue: '6912345678',
    editedDaysAgo: 21,
    editedBy: 'self',
  },
  {
    sam: 'ksato',
    upnLocal: 'ken.sato',
    givenName: '健',
    surname: '佐藤',
    displayName: '佐藤 健',
    site: 'Tokyo',
    c: 'JP',
    mobile: '090-1234-5678',
    role: 'format-only',
    cloudValue: '+81 90-1234-5678',
    editedDaysAgo: 12,
    editedBy: 'self',
  },
  {
    sam: 'jweiss',
    upnLocal: 'juergen.weiss',
    givenName: 'Jürgen',
    surname: 'Weiß',
    displayName: 'Jürgen Weiß',
    site: 'Berlin',
    c: 'DE',
    mobile: '+49 151 23456789',
    role: 'format-only',
    cloudValue: '0151 23456789',
    editedDaysAgo: 60,
    editedBy: 'helpdesk',
  },

  {
    sam: 'malali',
    upnLocal: 'mohammed.alali',
    givenName: 'محمد',
    surname: 'العلي',
    displayName: 'محمد العلي',
    site: 'Dubai',
    c: 'AE',
    mobile: '+971 50 123 4567',
    role: 'cloud-missing',
    cloudValue: null,
    editedDaysAgo: 6,
    editedBy: 'self',
  },
  {
    sam: 'lwisniewski',
    upnLocal: 'lukasz.wisniewski',
    givenName: 'Łukasz',
    surname: 'Wiśniewski',
    displayName: 'Łukasz Wiśniewski',
    site: 'Warsaw',
    c: 'PL',
    mobile: '+48 601 234 567',
    role: 'cloud-missing',
    cloudValue: null,
    editedDaysAgo: 33,
    editedBy: 'helpdesk',
  },

  {
    sam: 'lina',
    upnLocal: 'na.li',
    givenName: '娜',
    surname: '李',
    displayName: '李娜',
    site: 'Shanghai',
    c: 'CN',
    mobile: null,
    role: 'onprem-missing',
    cloudValue: '+86 138 0013 8000',
    editedDaysAgo: 15,
    editedBy: 'self',
  },
  {
    sam: 'anidhomhnaill',
    upnLocal: 'aoife.nidhomhnaill',
    givenName: 'Aoife',
    surname: 'Ní Dhomhnaill',
    displayName: 'Aoife Ní Dhomhnaill',
    site: 'Dublin',
    c: 'IE',
    mobile: null,
    role: 'onprem-missing',
    cloudValue: '085 111 2222',
    editedDaysAgo: 2,
    editedBy: 'helpdesk',
  },

  {
    sam: 'elefevre',
    upnLocal: 'elodie.lefevre',
    givenName: 'Élodie',
    surname: 'Lefèvre',
    displayName: 'Élodie Lefèvre',
    site: 'Paris',
    c: 'FR',
    mobile: '+33 6 12 34 56 78',
    role: 'pending-sync',
    laterOnPrem: '+33 6 98 76 54 32',
  },
  {
    sam: 'mkim',
    upnLocal: 'minjun.kim',
    givenName: '민준',
    surname: '김',
    displayName: '김민준',
    site: 'Seoul',
    c: 'KR',
    mobile: '010-1234-5678',
    role: 'pending-sync',
    laterOnPrem: '010-8765-4321',
  },

  {
    sam: 'hnguyen',
    upnLocal: 'huong.nguyen',
    givenName: 'Hương',
    surname: 'Nguyễn Thị',
    displayName: 'Nguyễn Thị Hương',
    site: 'Hanoi',
    c: 'VN',
    mobile: '+84 912 345 678',
    role: 'unmatched-onprem',
  },
  {
    sam: 'taraujo',
    upnLocal: 'thiago.araujo',
    givenName: 'Thiago',
    surname: 'Araújo',
    displayName: 'Thiago Araújo',
    site: 'São Paulo',
    c: 'BR',
    mobile: '+55 11 91234-5678',
    role: 'unmatched-onprem',
  },

  {
    sam: 'dkuznetsov',
    upnLocal: 'dmitri.kuznetsov',
    givenName: 'Дмитрий',
    surname: 'Кузнецов',
    displayName: 'Дмитрий Кузнецов',
    site: 'Moscow',
    c: 'RU',
    mobile: '+7 903 111-22-33',
    role: 'unmatched-cloud',
  },
  {
    sam: 'psharma',
    upnLocal: 'priya.sharma',
    givenName: 'Priya',
    surname: 'Sharma',
    displayName: 'Priya Sharma',
    site: 'Bengaluru',
    c: 'IN',
    mobile: '+91 98765 43210',
    role: 'unmatched-cloud',
  },

  {
    sam: 'asjoberg',
    upnLocal: 'asa.sjoberg',
    givenName: 'Åsa',
    surname: 'Sjöberg',
    displayName: 'Åsa Sjöberg',
    site: 'Stockholm',
    c: 'SE',
    mobile: '+46 70 123 45 67',
    otherMobile: ['+46 70 111 22 33'],
    role: 'alternate-edited',
    cloudAlternates: ['+46 73 999 88 77'],
    editedDaysAgo: 18,
    editedBy: 'self',
  },

  {
    sam: 'rverma',
    upnLocal: 'rahul.verma',
    givenName: 'Rahul',
    surname: 'Verma',
    displayName: 'Rahul Verma',
    site: 'Bengaluru',
    c: 'IN',
    mobile: '+91 99000 11122',
    role: 'once-synced',
    cloudValue: '+91 99000 33344',
    editedDaysAgo: 8,
    editedBy: 'helpdesk',
  },
  {
    sam: 'lmansour',
    upnLocal: 'layla.mansour',
    givenName: 'ليلى',
    surname: 'منصور',
    displayName: 'ليلى منصور',
    site: 'Riyadh',
    c: 'SA',
    mobile: '+966 50 123 4567',
    role: 'cloud-managed',
    cloudValue: '+966 55 765 4321',
    editedDaysAgo: 4,
    editedBy: 'helpdesk',
  },
];

/** Cloud-only accounts (onPremisesSyncEnabled null): outside the problem, present in every tenant. */
export const DEMO_CLOUD_ONLY: readonly { upnLocal: string; displayName: string; mobilePhone: string | null }[] = [
  { upnLocal: 'megan.bowen', displayName: 'Megan Bowen (contractor)', mobilePhone: '+1 425 555 0109' },
  { upnLocal: 'fatima.alzahra', displayName: 'فاطمة الزهراء (cloud only)', mobilePhone: '+20 100 123 4567' },
  { upnLocal: 'room.atrium', displayName: 'Atrium meeting room', mobilePhone: null },
];
