/**
 * The SFU's AI hook as a whole: one device scheduler and one backend shared by every published track (devices
 * are shared, as GPUs are), a pipeline per video track, a sample of every device each second (to `/metrics`
 * and the telemetry stream) and counters of what happened to frames.
 */
import { nowMs } from '../../src/metrics/clock.js';
import { discoverGpus, GpuSampler } from '../../src/metrics/gpus.js';
import type { AiFrameRecord, AiOptions } from '../../src/protocol/ai.js';
import { DeviceBackend, ExternalBackend } from './backends.js';
import type { BufferedFrame } from './frame-buffer.js';
import { AiPipeline, type StageBackend } from './pipeline.js';
import type { AiMetrics, TelemetrySink } from './reporting.js';
import { DeviceScheduler } from './scheduler.js';
import { type Engines, SpeechChain } from './speech/chain.js';
import { ApertiumMt, EspeakTts, PocketsphinxAsr, SyntheticAsr, SyntheticMt, SyntheticTts } from './speech/engines.js';
import type { ProcessedVideo } from './video-processor.js';

export interface AiRuntimeOptions {
  /** the scenario's `ai` block, as the SFU received it */
  ai: AiOptions;
  /** Prometheus instruments of the hook (`GET /metrics`) */
  metrics: AiMetrics;
  /** where `ai`, `dev`, `speech`, `voice` and `event` records go (`GET /telemetry`) */
  telemetry: TelemetrySink;
  /** the SFU's log (events a person should see) */
  log: (message: string) => void;
}

export class AiRuntime {
  readonly options: AiOptions;
  private readonly metrics: AiMetrics;
  private readonly telemetry: TelemetrySink;
  private readonly log: (message: string) => void;
  private scheduler: DeviceScheduler;
  private backend: StageBackend;
  private external: ExternalBackend | undefined;
  /** `ai.devices: gpus`: nvidia-smi's view of each GPU, next to the scheduler's */
  private gpuSampler: GpuSampler | undefined;
  private readonly pipelines = new Set<AiPipeline>();
  private timer: NodeJS.Timeout | undefined;

  constructor({ ai: options, metrics, telemetry, log }: AiRuntimeOptions) {
    this.options = options;
    this.metrics = metrics;
    this.telemetry = telemetry;
    this.log = log;
    this.scheduler = new DeviceScheduler(options.devices);
    if (options.backend.type === 'external') {
      const { socketPath, maxBatch, callTimeoutMs } = options.backend;
      this.external = new ExternalBackend(
        socketPath,
        (message) => this.event(message),
        undefined,
        maxBatch,
        callTimeoutMs,
      );
      this.backend = this.external;
    } else this.backend = new DeviceBackend(this.scheduler);
  }

  /** `ai.devices: gpus`: one scheduler device per GPU nvidia-smi reports, calls sent to the external worker. */
  private async useGpus(): Promise<void> {
    const gpus = await discoverGpus().catch((error: unknown) => {
      throw new Error(
        `ai.devices: gpus: ${(error as Error).message} (use simulated devices on a machine without NVIDIA GPUs)`,
      );
    });
    if (gpus.length === 0) throw new Error('ai.devices: gpus: nvidia-smi lists no GPU');
    if (this.options.backend.type !== 'external')
      throw new Error('ai.devices: gpus needs an external worker to run the calls on them');
    this.scheduler = new DeviceScheduler(
      gpus.map((g) => ({ name: `gpu${g.index}`, speed: 1, concurrency: this.options.workers, gpu: g.index })),
    );
    this.external = new ExternalBackend(
      this.options.backend.socketPath,
      (message) => this.event(message),
      this.scheduler,
      this.options.backend.maxBatch,
      this.options.backend.callTimeoutMs,
    );
    this.backend = this.external;
    this.gpuSampler = new GpuSampler();
    this.gpuSampler.start();
    this.event(`AI devices: ${gpus.map((g) => `gpu${g.index} (${g.name}, ${g.memoryTotalMb} MiB)`).join(', ')}`);
  }

  /** Something the run should know about: to the SFU's log and, as an `event` record, to the harness. */
  event(message: string): void {
    this.log(message);
    this.telemetry.push({ k: 'event', ms: nowMs(), message });
  }

  /** Does the translation chain replace the publishers' audio with translated speech (option B)? */
  get translatedSpeech(): boolean {
    const output = this.options.speech?.output;
    return output === 'speech' || output === 'both';
  }

  get subtitles(): boolean {
    const output = this.options.speech?.output;
    return output === 'subtitles' || output === 'both';
  }

  get inline(): boolean {
    return this.options.mode === 'inline';
  }

  /** pid of the external worker the SFU started, if any (tests kill it) */
  get externalWorkerPid(): number | undefined {
    return this.external?.workerPid;
  }

  async start(): Promise<void> {
    if (this.options.gpus) await this.useGpus();
    await this.external?.start();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  pipeline(
    publisher: string,
    onOutput: (frame: BufferedFrame, output?: ProcessedVideo) => void,
    onKeyframeNeeded: () => void,
    onResult: (record: AiFrameRecord) => void,
  ): AiPipeline {
    const pipeline = new AiPipeline({
      ai: this.options,
      backend: this.backend,
      publisher,
      onOutput,
      onRecord: (record) => {
        this.onRecord(record);
        onResult(record);
      },
      onKeyframeNeeded,
    });
    this.pipelines.add(pipeline);
    return pipeline;
  }

  /** The translation chain of one publisher's audio, when the scenario asks for one. */
  speechChain(
    publisher: string,
    onSubtitle: (n: number, text: string, translation: string) => void,
    onSpeech?: (wav: Buffer) => Promise<number | undefined>,
  ): SpeechChain | undefined {
    const speech = this.options.speech;
    if (!speech) return undefined;
    const engines: Engines = {
      asr: speech.asr.engine === 'synthetic' ? new SyntheticAsr(speech.asr.ms) : new PocketsphinxAsr(),
      mt: speech.mt.engine === 'synthetic' ? new SyntheticMt(speech.mt.ms) : new ApertiumMt(),
      tts: speech.tts.engine === 'synthetic' ? new SyntheticTts(speech.tts.ms) : new EspeakTts('es'),
    };
    return new SpeechChain({
      publisher,
      engines,
      onSubtitle,
      onRecord: (record) => this.telemetry.push(record),
      onSpeech,
    });
  }

  release(pipeline: AiPipeline): void {
    pipeline.close();
    this.pipelines.delete(pipeline);
  }

  private onRecord(record: AiFrameRecord): void {
    this.metrics.aiFrames.inc({ outcome: record.outcome });
    if (record.batch !== undefined) this.metrics.aiBatchSize.observe(record.batch);
    if (record.batchWaitMs !== undefined) this.metrics.aiBatchWait.observe(record.batchWaitMs / 1000);
    this.telemetry.push(record);
  }

  private sample(): void {
    // an external worker without GPUs is its own device: the SFU cannot see inside it
    const devices = this.options.backend.type === 'external' && !this.gpuSampler ? [] : this.scheduler.sample();
    for (const d of devices) {
      const gpu = this.gpuSampler?.latest.find((g) => `gpu${g.index}` === d.name);
      if (gpu) {
        d.gpuUtilisationPct = gpu.utilisationPct;
        d.memoryUsedMb = gpu.memoryUsedMb;
        this.metrics.aiGpuUtilisation.set({ device: d.name }, gpu.utilisationPct / 100);
      }
      this.metrics.aiDeviceUtilisation.set({ device: d.name }, d.utilisationPct / 100);
      this.metrics.aiDeviceQueue.set({ device: d.name }, d.queueLength);
    }
    let queued = 0;
    for (const p of this.pipelines) queued += p.queueLength;
    this.metrics.aiQueue.set(queued);
    if (devices.length > 0) this.telemetry.push({ k: 'dev', ms: nowMs(), devices });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.gpuSampler?.stop();
    for (const p of this.pipelines) p.close();
    this.pipelines.clear();
    await this.external?.close();
  }
}
