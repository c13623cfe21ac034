/**
 * Every Prometheus metric Babelcast exports, declared in one place (names are an operator-facing
 * contract, like error codes). One registry per server instance so tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ListenerCounts } from '@babelcast/protocol';
import type { FallbackEvent } from '../engines/fallback.ts';
import type { HubObserver } from '../hub/session-hub.ts';
import type { PipelineObserver, Stage } from '../pipeline/types.ts';
import type { CapacitySnapshot } from '../session/capacity.ts';

export interface MetricsOptions {
  /** Node.js process metrics (default true). */
  defaultMetrics?: boolean;
  /**
   * Also export per-session series labelled with the session id (default false). A session id is
   * what lets anyone listen, so /metrics carries none unless the operator opts in.
   */
  sessionLabels?: boolean;
}

export type SpeakerMeasure = 'rms' | 'peak' | 'snr';

export class Metrics implements PipelineObserver, HubObserver {
  readonly registry = new Registry();
  readonly stageLatencyHistogram = new Histogram({
    name: 'babelcast_stage_latency_seconds',
    help: 'Latency of each pipeline stage; *_e2e stages run from the end of an utterance to delivery.',
    labelNames: ['stage', 'lang'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13],
    registers: [this.registry],
  });
  readonly engineFailures = new Counter({
    name: 'babelcast_engine_failures_total',
    help: 'Engine operations that failed (the session went on without that sentence or voice).',
    labelNames: ['kind', 'engine'],
    registers: [this.registry],
  });
  readonly engineRetries = new Counter({
    name: 'babelcast_engine_retries_total',
    help: 'Requests tried again after a recoverable engine failure (engines.retryBackoffMs).',
    labelNames: ['kind', 'engine'],
    registers: [this.registry],
  });
  readonly engineFallbacks = new Counter({
    name: 'babelcast_engine_fallbacks_total',
    help: 'Requests served by the fallback engine instead of the first one (reason: unavailable, unsupported or failed).',
    labelNames: ['kind', 'from', 'to', 'reason'],
    registers: [this.registry],
  });
  readonly droppedWork = new Counter({
    name: 'babelcast_pipeline_dropped_total',
    help: 'Sentences whose voice or translation was skipped because the stage fell behind.',
    labelNames: ['what', 'lang'],
    registers: [this.registry],
  });
  readonly audioSecondsTotal = new Counter({
    name: 'babelcast_audio_seconds_total',
    help: 'Audio processed: input (speaker), speech (after VAD), synthesized (per target language).',
    labelNames: ['kind', 'lang'],
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: 'babelcast_sessions',
    help: 'Sessions by state on this node.',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly listeners = new Gauge({
    name: 'babelcast_listeners',
    help: 'Connected listeners by target language (summed over sessions on this node).',
    labelNames: ['lang'],
    registers: [this.registry],
  });
  readonly audioDroppedTotal = new Counter({
    name: 'babelcast_listener_audio_dropped_total',
    help: 'Audio packets not sent to a listener whose send buffer was full.',
    labelNames: ['lang'],
    registers: [this.registry],
  });
  readonly slowConsumers = new Counter({
    name: 'babelcast_slow_consumer_disconnects_total',
    help: 'Listeners disconnected for staying behind.',
    registers: [this.registry],
  });
  readonly wsRejected = new Counter({
    name: 'babelcast_ws_refused_total',
    help: 'WebSocket connections refused or closed for a protocol reason, by close code.',
    labelNames: ['role', 'code'],
    registers: [this.registry],
  });
  readonly workerGapFrames = new Counter({
    name: 'babelcast_worker_audio_gap_frames_total',
    help: 'Speaker frames a worker never received from the bus although the gateway had accepted them (must stay 0).',
    registers: [this.registry],
  });
  readonly sessionsHeld = new Gauge({
    name: 'babelcast_worker_sessions',
    help: 'Sessions whose pipeline this worker runs (holds the lease of).',
    registers: [this.registry],
  });
  readonly takeovers = new Counter({
    name: 'babelcast_worker_takeovers_total',
    help: 'Sessions this worker resumed from the audio stream after another holder stopped.',
    registers: [this.registry],
  });
  readonly speakerGapFrames = new Counter({
    name: 'babelcast_speaker_audio_gap_frames_total',
    help: 'Speaker audio frames missing from the sequence (lost beyond what the client could resend).',
    registers: [this.registry],
  });
  readonly speakerBackpressure = new Counter({
    name: 'babelcast_speaker_backpressure_total',
    help: 'Times a speaker socket was paused because the recogniser was behind (node overloaded).',
    registers: [this.registry],
  });
  readonly badInput = new Counter({
    name: 'babelcast_bad_input_total',
    help: 'Malformed frames or messages received, by error code.',
    labelNames: ['role', 'code'],
    registers: [this.registry],
  });
  /** Across sessions, no ids: how loud speakers' microphones are (rms, peak) and their SNR in dB. */
  readonly speakerInput = new Histogram({
    name: 'babelcast_speaker_input_level_dbfs',
    help: 'Speaker microphone levels reported by speaker pages (rms, peak in dBFS; snr in dB), over all sessions.',
    labelNames: ['measure'],
    buckets: [-90, -70, -60, -50, -40, -30, -20, -12, -6, -3, -1, 0, 10, 20, 30, 40],
    registers: [this.registry],
  });
  /** Only with `sessionLabels`: the latest level per session (registered only then). */
  readonly speakerInputBySession = new Gauge({
    name: 'babelcast_speaker_input_level_by_session_dbfs',
    help: 'Latest speaker microphone level per session (opt-in: metrics.sessionLabels).',
    labelNames: ['session', 'measure'],
    registers: [],
  });
  readonly capacityCores = new Gauge({
    name: 'babelcast_capacity_cores',
    help: 'Admission control, in CPU cores: budget (cores × cpuBudget), used (planned load of live sessions), headroom.',
    labelNames: ['what'],
    registers: [this.registry],
  });
  readonly capacitySessions = new Gauge({
    name: 'babelcast_capacity_sessions',
    help: 'Sessions held and live on this node, and their limits.',
    labelNames: ['what'],
    registers: [this.registry],
  });
  readonly overCapacity = new Counter({
    name: 'babelcast_over_capacity_refusals_total',
    help: 'Sessions, go-lives and languages refused because the node was at capacity.',
    labelNames: ['what'],
    registers: [this.registry],
  });
  readonly sessionSeconds = new Counter({
    name: 'babelcast_session_live_seconds_total',
    help: 'Session time spent live, for cost per session-hour.',
    registers: [this.registry],
  });
  readonly engineCostUsd = new Counter({
    name: 'babelcast_engine_cost_usd_total',
    help: 'Estimated engine spend (0 for local engines; cloud engines use their list prices).',
    labelNames: ['kind', 'engine'],
    registers: [this.registry],
  });

  /** Listener counts per session, summed into the per-language gauge. */
  private readonly perSession = new Map<string, ListenerCounts>();

  readonly sessionLabels: boolean;

  constructor(options: MetricsOptions = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'babelcast_process_' });
    this.sessionLabels = options.sessionLabels ?? false;
    if (this.sessionLabels) this.registry.registerMetric(this.speakerInputBySession);
  }

  /** A speaker page's level report. */
  speakerLevel(sessionId: string, measure: SpeakerMeasure, value: number): void {
    this.speakerInput.observe({ measure }, value);
    if (this.sessionLabels) this.speakerInputBySession.set({ session: sessionId, measure }, value);
  }

  /** Capacity and headroom, as /readyz shows them. */
  capacity(c: CapacitySnapshot): void {
    this.capacityCores.set({ what: 'budget' }, c.budgetCores);
    this.capacityCores.set({ what: 'used' }, c.usedCores);
    this.capacityCores.set({ what: 'headroom' }, c.headroomCores);
    this.capacitySessions.set({ what: 'held' }, c.sessions);
    this.capacitySessions.set({ what: 'max' }, c.maxSessions);
    this.capacitySessions.set({ what: 'live' }, c.liveSessions);
    this.capacitySessions.set({ what: 'max_live' }, c.maxLiveSessions);
  }

  private dropSessionSeries(sessionId: string): void {
    for (const measure of ['rms', 'peak', 'snr'])
      this.speakerInputBySession.remove({ session: sessionId, measure });
  }

  /** The session was paused for want of a speaker: its per-session series go. */
  sessionIdle(sessionId: string): void {
    this.dropSessionSeries(sessionId);
  }

  stageLatency(stage: Stage, lang: string, seconds: number): void {
    this.stageLatencyHistogram.observe({ stage, lang }, Math.max(0, seconds));
  }
  engineFailure(kind: string, engineId: string): void {
    this.engineFailures.inc({ kind, engine: engineId });
  }
  /** Pass as FallbackMt's `onFallback`. */
  engineFallback(event: FallbackEvent): void {
    this.engineFallbacks.inc({ kind: event.kind, from: event.from, to: event.to, reason: event.reason });
  }
  dropped(what: 'voice' | 'translation', lang: string): void {
    this.droppedWork.inc({ what, lang });
  }
  audioSeconds(kind: 'input' | 'speech' | 'synthesized', lang: string, seconds: number): void {
    this.audioSecondsTotal.inc({ kind, lang }, seconds);
  }
  listenersChanged(sessionId: string, counts: ListenerCounts): void {
    if (Object.keys(counts).length === 0) this.perSession.delete(sessionId);
    else this.perSession.set(sessionId, counts);
    const total: Record<string, number> = {};
    for (const c of this.perSession.values())
      for (const [lang, n] of Object.entries(c)) total[lang] = (total[lang] ?? 0) + n;
    this.listeners.reset();
    for (const [lang, n] of Object.entries(total)) this.listeners.set({ lang }, n);
  }
  audioDropped(lang: string): void {
    this.audioDroppedTotal.inc({ lang });
  }
  speakerAudioGap(frames: number): void {
    this.speakerGapFrames.inc(frames);
  }
  workerAudioGap(frames: number): void {
    this.workerGapFrames.inc(frames);
  }
  takeover(): void {
    this.takeovers.inc();
  }
  sessionsHeldChanged(count: number): void {
    this.sessionsHeld.set(count);
  }
  sessionEnded(sessionId: string): void {
    // Keeps the number of label sets bounded by the live sessions, not by every session ever held.
    this.dropSessionSeries(sessionId);
    this.listenersChanged(sessionId, {});
  }
  slowConsumerClosed(): void {
    this.slowConsumers.inc();
  }
}
