/**
 * Admission control: what this node can take on before everyone's captions fall behind.
 *
 * The model is deliberately simple, so an operator can check it by hand:
 *
 *   budget  = cores × cpuBudget                        (cores this node plans to fill)
 *   used    = Σ over live sessions (asrRtf + languages × languageCost)
 *   headroom = budget − used
 *
 * `asrRtf` is the recogniser's real-time factor (CPU seconds per second of audio, measured by the
 * benchmark for each recogniser, or set in config for the machine at hand); `languageCost` is
 * what one more produced target language adds (translation, voice, encoding). A new live session
 * needs `asrRtf` of headroom and a free live slot; a new language needs `languageCost`.
 * Paused and created sessions cost nothing (their pipelines idle). Languages are those the hub
 * currently demands (heard, or in their grace period), not the source language itself.
 */
export interface CapacityOptions {
  cores: number;
  /** Share of the cores to plan with (0–1]. */
  cpuBudget: number;
  /** CPU seconds per second of speech for the recogniser. */
  asrRealTimeFactor: number;
  /** Cores one produced target language costs. */
  languageCpuCost: number;
  maxSessions: number;
  maxLiveSessions: number;
}

/** What the planner needs to know about one session held by this node. */
export interface SessionLoad {
  live: boolean;
  /** Target languages produced now, excluding the source language. */
  languages: number;
}

export interface CapacitySnapshot {
  cores: number;
  budgetCores: number;
  usedCores: number;
  headroomCores: number;
  asrRealTimeFactor: number;
  languageCpuCost: number;
  sessions: number;
  maxSessions: number;
  liveSessions: number;
  maxLiveSessions: number;
  languages: number;
  /** Could one more session go live now? */
  canStartSession: boolean;
  /** Could a live session add one more language now? */
  canAddLanguage: boolean;
}

export class CapacityPlanner {
  constructor(readonly options: CapacityOptions) {}

  snapshot(loads: Iterable<SessionLoad>): CapacitySnapshot {
    const o = this.options;
    let sessions = 0;
    let live = 0;
    let languages = 0;
    for (const l of loads) {
      sessions++;
      if (!l.live) continue;
      live++;
      languages += l.languages;
    }
    const budgetCores = o.cores * o.cpuBudget;
    const usedCores = live * o.asrRealTimeFactor + languages * o.languageCpuCost;
    const headroomCores = budgetCores - usedCores;
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return {
      cores: o.cores,
      budgetCores: round(budgetCores),
      usedCores: round(usedCores),
      headroomCores: round(headroomCores),
      asrRealTimeFactor: o.asrRealTimeFactor,
      languageCpuCost: o.languageCpuCost,
      sessions,
      maxSessions: o.maxSessions,
      liveSessions: live,
      maxLiveSessions: o.maxLiveSessions,
      languages,
      canStartSession: live < o.maxLiveSessions && headroomCores >= o.asrRealTimeFactor - 1e-9,
      canAddLanguage: headroomCores >= o.languageCpuCost - 1e-9,
    };
  }
}
