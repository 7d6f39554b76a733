import { GatewayError } from '../errors/gateway-error';

/** The refusals of admission, each naming the model version (`label`) and the bound involved. */

export const callerCancelled = (): GatewayError =>
  new GatewayError('cancelled', 'the caller cancelled the request');

export const deadlinePassed = (label: string): GatewayError =>
  new GatewayError('deadline_exceeded', `the deadline passed before ${label} was called`);

export const deadlineInfeasible = (
  label: string,
  remainingMs: number,
  neededMs: number,
  ahead: number,
): GatewayError =>
  new GatewayError(
    'deadline_exceeded',
    `the deadline cannot be met: ${Math.max(0, Math.floor(remainingMs))} ms left, ${label} needs about ` +
      `${Math.ceil(neededMs)} ms${ahead > 0 ? ` with ${ahead} request(s) queued ahead` : ''}; ` +
      'refused before it reached the backend',
  );

export const expiredInQueue = (label: string, waitedMs: number): GatewayError =>
  new GatewayError(
    'deadline_exceeded',
    `the deadline passed after ${Math.round(waitedMs)} ms waiting in the queue of ${label}`,
  );

export const expiredAtBackend = (label: string, budgetMs: number): GatewayError =>
  new GatewayError(
    'deadline_exceeded',
    `the deadline passed while ${label} was running (${Math.round(budgetMs)} ms after it started); the call was cancelled`,
  );

export const queueFull = (
  label: string,
  inFlight: number,
  maxQueue: number,
  retryAfterMs: number,
): GatewayError =>
  new GatewayError(
    'resource_exhausted',
    maxQueue === 0
      ? `${label} is at capacity: max in flight (${inFlight}) reached and it has no queue (gateway.max_queue 0)`
      : `${label} is at capacity: max in flight (${inFlight}) reached and its queue is full (max queue ${maxQueue})`,
    { retryAfterMs },
  );

export const shedForRealtime = (
  label: string,
  maxQueue: number,
  retryAfterMs: number,
): GatewayError =>
  new GatewayError(
    'resource_exhausted',
    `shed for real-time traffic: the queue of ${label} was full (max queue ${maxQueue}) and this bulk request was the newest in it`,
    { retryAfterMs },
  );

export const waitOverTarget = (
  label: string,
  waitMs: number,
  targetMs: number,
  ahead: number,
  retryAfterMs: number,
): GatewayError =>
  new GatewayError(
    'resource_exhausted',
    `${label} is busy: a slot would take about ${Math.ceil(waitMs)} ms with ${ahead} request(s) queued ahead, ` +
      `over its queue target (${Math.ceil(targetMs)} ms); refused at once instead of admitted late`,
    { retryAfterMs },
  );

export const waitedOverTarget = (
  label: string,
  waitedMs: number,
  targetMs: number,
  retryAfterMs: number,
): GatewayError =>
  new GatewayError(
    'resource_exhausted',
    `${label} is busy: this request waited ${Math.round(waitedMs)} ms for a slot, over twice its queue target ` +
      `(${Math.ceil(targetMs)} ms); refused instead of admitted late`,
    { retryAfterMs },
  );
