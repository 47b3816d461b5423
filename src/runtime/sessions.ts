/**
 * The model states the worker holds, by name, and the ops that change them (fork, dropSession,
 * trainSteps, attachLora, saveAdapter, loadAdapter, detachLora). 'default' is the model as loaded and is
 * frozen; every other session is a trainable copy made by `fork`, optionally with a LoRA adapter.
 *
 * No worker globals here, so unit tests run these ops in Node exactly as the worker runs them.
 */
import { loadAdapter, LoraAdapter, mergeLora, saveAdapter, type AdapterFiles } from '../llama/lora';
import { parseLoraConfig } from '../llama/loraConfig';
import type { LlamaConfig } from '../llama/config';
import { LlamaModel } from '../llama/model';
import type { WeightMap } from '../llama/weights';
import { AdamW, learningRateAt, PackedCorpus, trainStep } from '../llama/train';
import { checkInputLength, lengthLimit } from './limits';
import {
  DEFAULT_SESSION,
  type AttachLoraArgs,
  type LoadAdapterArgs,
  type LoraSummary,
  type SessionName,
  type TrainArgs,
  type TrainProgress,
  type TrainResult,
} from './messages';

/** A model state made by `fork`: trainable weights, an optimizer once it trains, maybe an adapter. */
export interface Session {
  model: LlamaModel;
  /** Over model.trainableParams(): the adapter's A and B when one is attached, else every weight. */
  optimizer: AdamW | null;
  stepsDone: number;
  /** The attached LoRA adapter (the session disposes it), or null. */
  adapter: LoraAdapter | null;
}

/** What a long op gets from the worker between its steps (worker.ts OpContext). */
export interface StepContext<Progress> {
  progress(value: Progress): void;
  cancelled(): boolean;
  /** Runs the quick ops waiting, then says whether to go on (false once cancelled). */
  step(): Promise<boolean>;
  /** How many progress replies were sent when the cancel was read (undefined: not cancelled). */
  cancelReadAfter(): number | undefined;
}

export class Sessions {
  /** The forked sessions by name; 'default' is the loaded model and is not in here. */
  private readonly forked = new Map<SessionName, Session>();

  /** `shipped()` is the loaded model (throws when none is loaded). */
  constructor(private readonly shipped: () => LlamaModel) {}

  names(): SessionName[] {
    return [DEFAULT_SESSION, ...this.forked.keys()];
  }

  /** The model of a session; undefined or 'default' is the loaded model. */
  model(name: SessionName | undefined): LlamaModel {
    if (name === undefined || name === DEFAULT_SESSION) return this.shipped();
    return this.require(name).model;
  }

  /** A forked session; 'default' (frozen) and unknown names throw, `instead` saying what to do. */
  require(name: SessionName, instead = 'fork it to train'): Session {
    const session = this.forked.get(name);
    if (!session) {
      throw new Error(
        name === DEFAULT_SESSION
          ? `The default session is the shipped model, which is frozen: ${instead}.`
          : `No session named "${name}" (sessions: ${this.names().join(', ')}).`,
      );
    }
    return session;
  }

  /**
   * A trainable copy of session `from` under `name`. A source with a LoRA adapter is copied with
   * the adapter merged into its weights (W + (alpha / r) B A), so the copy computes the same logits.
   * `change`, if given, changes the copied config and weights first (a grown vocabulary).
   */
  fork(name: SessionName, from?: SessionName, change?: (config: LlamaConfig, weights: WeightMap) => { config: LlamaConfig; weights: WeightMap }): { name: SessionName; parameters: number } {
    if (name === DEFAULT_SESSION || this.forked.has(name)) throw new Error(`A session named "${name}" exists already.`);
    const source = this.model(from);
    const adapter = from === undefined || from === DEFAULT_SESSION ? null : this.require(from).adapter;
    const copied = adapter ? mergeLora(source.toWeightMap(), adapter) : source.toWeightMap();
    const { config, weights } = change ? change(source.config, copied) : { config: source.config, weights: copied };
    const model = LlamaModel.fromWeights(config, weights, { trainable: true });
    this.forked.set(name, { model, optimizer: null, stepsDone: 0, adapter: null });
    const parameters = [...model.params.values()].reduce((sum, tensor) => sum + tensor.size, 0);
    return { name, parameters };
  }

  /** Frees a forked session: its model, optimizer and adapter. */
  drop(name: SessionName): void {
    const session = this.require(name, 'it stays until dispose');
    this.resetTraining(session);
    session.adapter?.dispose();
    session.model.dispose();
    this.forked.delete(name);
  }

  dropAll(): void {
    for (const name of [...this.forked.keys()]) this.drop(name);
  }

  /**
   * AdamW steps on a forked session (src/llama/train.ts trainStep: masked loss, global-norm
   * clipping, the scheduled learning rate). Between steps the quick ops waiting run, and a cancel
   * read there ends the call: no step runs after it.
   */
  async trainSteps(args: TrainArgs, context: StepContext<TrainProgress>): Promise<TrainResult> {
    const session = this.require(args.session);
    checkInputLength([new Array<number>(args.seqLength).fill(0)], lengthLimit(session.model.config));
    const corpus = new PackedCorpus(args.examples);
    if (corpus.usableExamples(args.seqLength) === 0) {
      throw new Error(`No example has the ${args.seqLength + 1} tokens a row of ${args.seqLength} needs (with its target).`);
    }
    // with a LoRA adapter attached, only its A and B (model.trainableParams())
    session.optimizer ??= new AdamW(session.model.trainableParams(), args.adamW);
    const losses: number[] = [];
    let stopReason: TrainResult['stopReason'] = 'steps';
    for (let i = 0; i < args.steps; i++) {
      if (context.cancelled()) {
        stopReason = 'cancelled';
        break;
      }
      const step = session.stepsDone;
      const started = performance.now();
      const batch = corpus.randomBatch(args.batchSize, args.seqLength, args.seed, step);
      const result = trainStep(session.model, session.optimizer, batch, {
        learningRate: learningRateAt(step, args.schedule),
        maxGradNorm: args.maxGradNorm,
      });
      session.stepsDone++;
      losses.push(result.loss);
      const seconds = (performance.now() - started) / 1000;
      context.progress({ step, loss: result.loss, learningRate: result.learningRate, globalNorm: result.globalNorm, tokensPerSecond: (args.batchSize * args.seqLength) / seconds });
      if (!(await context.step())) {
        stopReason = 'cancelled';
        break;
      }
    }
    const cancelReadAfter = context.cancelReadAfter();
    return { stepsRun: losses.length, stepsDone: session.stepsDone, losses, stopReason, ...(cancelReadAfter === undefined ? {} : { cancelReadAfter }) };
  }

  /**
   * A fresh LoRA adapter (PEFT's init: A seeded, B = 0, so the logits start unchanged) on a forked
   * session; from now on its trainSteps update only A and B.
   */
  attachLora({ session: name, config, seed }: AttachLoraArgs): LoraSummary {
    const session = this.requireWithoutAdapter(name);
    const lora = parseLoraConfig(config);
    return this.attach(session, LoraAdapter.init(session.model.config, lora, seed, { trainable: true }));
  }

  /** The session's adapter as PEFT saves it: adapter_model.safetensors (float32) and adapter_config.json. */
  saveAdapter({ session: name }: { session: SessionName }): AdapterFiles {
    return saveAdapter(this.requireAdapter(name).adapter!);
  }

  /** Reads saved adapter files and attaches them to a forked session (trainable unless asked otherwise). */
  loadAdapter({ session: name, files, trainable = true }: LoadAdapterArgs): LoraSummary {
    const session = this.requireWithoutAdapter(name);
    readAdapterConfig(files); // a bad config gets its own message; a bad fit is reported below
    let adapter: LoraAdapter;
    try {
      adapter = loadAdapter(session.model.config, files, { trainable });
    } catch (error) {
      throw new Error(`This adapter does not fit session "${name}": ${(error as Error).message}`);
    }
    return this.attach(session, adapter);
  }

  /** Removes and frees the session's adapter: its model computes the base logits again. */
  detachLora({ session: name }: { session: SessionName }): null {
    const session = this.requireAdapter(name);
    session.model.attachAdapter(null);
    session.adapter!.dispose();
    session.adapter = null;
    this.resetTraining(session);
    return null;
  }

  private attach(session: Session, adapter: LoraAdapter): LoraSummary {
    try {
      session.model.attachAdapter(adapter);
    } catch (error) {
      adapter.dispose();
      throw error;
    }
    session.adapter = adapter;
    this.resetTraining(session); // the optimizer's state was for the weights it trained before
    const parameters = [...adapter.params.values()].reduce((sum, tensor) => sum + tensor.size, 0);
    return { config: adapter.config, parameters, trainable: adapter.trainable };
  }

  /** What is trained changed (or the session goes): a new optimizer and step count at the next trainSteps. */
  private resetTraining(session: Session): void {
    session.optimizer?.dispose();
    session.optimizer = null;
    session.stepsDone = 0;
  }

  private requireWithoutAdapter(name: SessionName): Session {
    const session = this.require(name, 'fork it to attach an adapter');
    if (session.adapter) throw new Error(`Session "${name}" has a LoRA adapter already: detach it first.`);
    return session;
  }

  private requireAdapter(name: SessionName): Session {
    const session = this.require(name, 'fork it to attach an adapter');
    if (!session.adapter) throw new Error(`Session "${name}" has no LoRA adapter (attach one with attachLora or loadAdapter).`);
    return session;
  }
}

/** adapter_config.json checked on its own (parseLoraConfig names the bad field). */
function readAdapterConfig(files: AdapterFiles): void {
  let json: unknown;
  try {
    json = JSON.parse(files['adapter_config.json']);
  } catch (error) {
    throw new Error(`adapter_config.json is not JSON: ${(error as Error).message}`);
  }
  parseLoraConfig(json);
}
