// `pipesoak/scenario`: what a scenario imports. Types, plus the little runtime a scenario uses
// (uuidFrom); nothing here pulls in undici or nats.js, so a scenario bundle stays a few kilobytes.
export type {
  ChatBody,
  DatasetItem,
  EventBody,
  PayloadBody,
  PromptBody,
} from '../../generators/datasetFormat.ts';
export type { Tags } from '../clients/engineRecorder.ts';
export type {
  HttpPostOptions,
  HttpRequestOptions,
  HttpResponse,
  IterationHttp,
} from '../clients/httpClient.ts';
export type { IterationJetStream, JetStreamPublishOptions, PubAck } from '../clients/jetstreamClient.ts';
export type {
  IterationNats,
  NatsPublishOptions,
  NatsReply,
  NatsRequestOptions,
} from '../clients/natsClient.ts';
export type { NatsData } from '../clients/natsPayload.ts';
export type { Counter, IterationContext, ScenarioMetrics, Target, Trend } from './context.ts';
export type {
  ConstantArrivalRateOptions,
  ConstantVusOptions,
  Duration,
  ExecutorOptions,
  LoadSettings,
  OptionsExport,
  RampingArrivalRateOptions,
  RampingVusOptions,
  ScenarioOptions,
  Stage,
} from './scenarioOptions.ts';
export { uuidFrom } from './uuidFrom.ts';
