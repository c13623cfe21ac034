/**
 * The listener page's own labels, in the languages it most often serves. A listener who picks
 * Spanish captions gets Spanish buttons too; languages without a dictionary fall back to English.
 */
const en = {
  pageTitle: 'Live translation',
  language: 'Language',
  listen: 'Tap to listen',
  listening: 'Listening',
  mute: 'Mute',
  unmute: 'Unmute',
  smaller: 'Smaller text',
  larger: 'Larger text',
  darkMode: 'Dark mode',
  captions: 'Captions',
  live: 'Live',
  paused: 'Paused',
  waiting: 'Waiting for the speaker',
  ended: 'The session has ended',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  emptyCaptions: 'Captions will appear here when the speaker talks.',
  notFound: 'This session does not exist. Check the link.',
  unsupportedLanguage: 'This language is not available in this session.',
  audioUnavailable: 'Audio cannot play in this browser; captions still work.',
  connectionLost: 'Connection lost.',
};
export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;

export const DICTIONARIES: Record<string, Dictionary> = {
  en,
  es: {
    pageTitle: 'Traducción en directo',
    language: 'Idioma',
    listen: 'Toca para escuchar',
    listening: 'Escuchando',
    mute: 'Silenciar',
    unmute: 'Activar sonido',
    smaller: 'Texto más pequeño',
    larger: 'Texto más grande',
    darkMode: 'Modo oscuro',
    captions: 'Subtítulos',
    live: 'En directo',
    paused: 'En pausa',
    waiting: 'Esperando al orador',
    ended: 'La sesión ha terminado',
    connecting: 'Conectando…',
    reconnecting: 'Reconectando…',
    emptyCaptions: 'Los subtítulos aparecerán aquí cuando hable el orador.',
    notFound: 'Esta sesión no existe. Revisa el enlace.',
    unsupportedLanguage: 'Este idioma no está disponible en esta sesión.',
    audioUnavailable: 'El audio no puede sonar en este navegador; los subtítulos sí funcionan.',
    connectionLost: 'Se perdió la conexión.',
  },
  fr: {
    pageTitle: 'Traduction en direct',
    language: 'Langue',
    listen: 'Touchez pour écouter',
    listening: 'Écoute en cours',
    mute: 'Couper le son',
    unmute: 'Rétablir le son',
    smaller: 'Texte plus petit',
    larger: 'Texte plus grand',
    darkMode: 'Mode sombre',
    captions: 'Sous-titres',
    live: 'En direct',
    paused: 'En pause',
    waiting: "En attente de l'orateur",
    ended: 'La session est terminée',
    connecting: 'Connexion…',
    reconnecting: 'Reconnexion…',
    emptyCaptions: "Les sous-titres s'afficheront ici quand l'orateur parlera.",
    notFound: "Cette session n'existe pas. Vérifiez le lien.",
    unsupportedLanguage: "Cette langue n'est pas disponible pour cette session.",
    audioUnavailable: 'Le son ne peut pas être lu dans ce navigateur ; les sous-titres fonctionnent.',
    connectionLost: 'Connexion perdue.',
  },
  pt: {
    pageTitle: 'Tradução ao vivo',
    language: 'Idioma',
    listen: 'Toque para ouvir',
    listening: 'A ouvir',
    mute: 'Silenciar',
    unmute: 'Ativar som',
    smaller: 'Texto menor',
    larger: 'Texto maior',
    darkMode: 'Modo escuro',
    captions: 'Legendas',
    live: 'Ao vivo',
    paused: 'Em pausa',
    waiting: 'À espera do orador',
    ended: 'A sessão terminou',
    connecting: 'A ligar…',
    reconnecting: 'A religar…',
    emptyCaptions: 'As legendas aparecem aqui quando o orador falar.',
    notFound: 'Esta sessão não existe. Verifique a ligação.',
    unsupportedLanguage: 'Este idioma não está disponível nesta sessão.',
    audioUnavailable: 'O áudio não pode tocar neste navegador; as legendas funcionam.',
    connectionLost: 'Ligação perdida.',
  },
  it: {
    pageTitle: 'Traduzione dal vivo',
    language: 'Lingua',
    listen: 'Tocca per ascoltare',
    listening: 'In ascolto',
    mute: 'Disattiva audio',
    unmute: 'Attiva audio',
    smaller: 'Testo più piccolo',
    larger: 'Testo più grande',
    darkMode: 'Modalità scura',
    captions: 'Sottotitoli',
    live: 'In diretta',
    paused: 'In pausa',
    waiting: "In attesa dell'oratore",
    ended: 'La sessione è terminata',
    connecting: 'Connessione…',
    reconnecting: 'Riconnessione…',
    emptyCaptions: "I sottotitoli appariranno qui quando l'oratore parla.",
    notFound: 'Questa sessione non esiste. Controlla il link.',
    unsupportedLanguage: 'Questa lingua non è disponibile in questa sessione.',
    audioUnavailable: "L'audio non può essere riprodotto in questo browser; i sottotitoli funzionano.",
    connectionLost: 'Connessione persa.',
  },
  ca: {
    pageTitle: 'Traducció en directe',
    language: 'Llengua',
    listen: 'Toca per escoltar',
    listening: 'Escoltant',
    mute: 'Silencia',
    unmute: 'Activa el so',
    smaller: 'Text més petit',
    larger: 'Text més gran',
    darkMode: 'Mode fosc',
    captions: 'Subtítols',
    live: 'En directe',
    paused: 'En pausa',
    waiting: "Esperant l'orador",
    ended: 'La sessió ha acabat',
    connecting: 'Connectant…',
    reconnecting: 'Reconnectant…',
    emptyCaptions: "Els subtítols apareixeran aquí quan parli l'orador.",
    notFound: "Aquesta sessió no existeix. Revisa l'enllaç.",
    unsupportedLanguage: 'Aquesta llengua no està disponible en aquesta sessió.',
    audioUnavailable: "L'àudio no es pot reproduir en aquest navegador; els subtítols funcionen.",
    connectionLost: "S'ha perdut la connexió.",
  },
  de: {
    pageTitle: 'Live-Übersetzung',
    language: 'Sprache',
    listen: 'Zum Zuhören tippen',
    listening: 'Wiedergabe läuft',
    mute: 'Stumm',
    unmute: 'Ton an',
    smaller: 'Kleinere Schrift',
    larger: 'Größere Schrift',
    darkMode: 'Dunkelmodus',
    captions: 'Untertitel',
    live: 'Live',
    paused: 'Pausiert',
    waiting: 'Warten auf den Vortragenden',
    ended: 'Die Sitzung ist beendet',
    connecting: 'Verbinden…',
    reconnecting: 'Neu verbinden…',
    emptyCaptions: 'Die Untertitel erscheinen hier, sobald gesprochen wird.',
    notFound: 'Diese Sitzung gibt es nicht. Bitte den Link prüfen.',
    unsupportedLanguage: 'Diese Sprache ist in dieser Sitzung nicht verfügbar.',
    audioUnavailable: 'Ton kann in diesem Browser nicht abgespielt werden; Untertitel funktionieren.',
    connectionLost: 'Verbindung verloren.',
  },
};

/** Labels for `language` (e.g. "pt-BR" uses "pt"), English when there is no dictionary. */
export function dictionaryFor(language: string): { lang: string; t: Dictionary } {
  const base = language.toLowerCase().split('-')[0]!;
  const t = DICTIONARIES[base];
  return t ? { lang: base, t } : { lang: 'en', t: en };
}

/**
 * The language to start in: an explicit choice (URL or remembered), else the first of the
 * browser's preferred languages the session offers, else the first it offers.
 */
export function pickInitialLanguage(
  offered: readonly string[],
  explicit: readonly (string | null | undefined)[],
  browserPreferred: readonly string[],
): string | undefined {
  for (const e of explicit) if (e && offered.includes(e)) return e;
  for (const pref of browserPreferred) {
    const exact = offered.find((o) => o.toLowerCase() === pref.toLowerCase());
    if (exact) return exact;
    const base = pref.toLowerCase().split('-')[0];
    const byBase = offered.find((o) => o.toLowerCase().split('-')[0] === base);
    if (byBase) return byBase;
  }
  return offered[0];
}
