import type { LoggerService } from '@nestjs/common';
import pino, { type Level, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import { redact, redactText } from './log-redaction';

type NestLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** The levels a LOG_LEVEL setting may name (Nest's names; `fatal` is always written). */
export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** LOG_FORMAT: one JSON object per line (production), or readable lines. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const PINO_LEVEL: Record<NestLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

export interface JsonLoggerOptions {
  /** The `service` field of every line: which app wrote it. */
  service: string;
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stdout unless a test captures them. */
  destination?: NodeJS.WritableStream;
}

/**
 * Nest's LoggerService on pino: every line of an app (Nest's own, each module's `Logger`)
 * becomes one JSON object (`format: json`) or a readable line (`pretty`), with credentials
 * redacted from fields and text before anything is written (log-redaction.ts). Both apps use it,
 * so their lines have one shape and one redaction.
 */
export class JsonLogger implements LoggerService {
  private readonly pino: Pino;

  constructor(options: JsonLoggerOptions) {
    const destination = options.destination ?? process.stdout;
    const settings: pino.LoggerOptions = {
      level: PINO_LEVEL[options.level],
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // redact() already turned errors into { type, message, stack }; pino's own serialiser would
      // rename their type to 'Object'.
      serializers: { err: (value: unknown) => value },
      // Redaction runs here, on every record, so no call site has to remember it.
      formatters: { log: (record) => redact(record) as Record<string, unknown> },
    };
    this.pino =
      options.format === 'json'
        ? pino(
            {
              ...settings,
              formatters: { ...settings.formatters, level: (label) => ({ level: label }) },
            },
            destination,
          )
        : pino(
            settings,
            pretty({
              destination,
              sync: true,
              colorize: (destination as { isTTY?: boolean }).isTTY === true,
              translateTime: 'SYS:HH:MM:ss.l',
              ignore: 'pid,hostname,service,context',
              messageFormat: '{if context}[{context}] {end}{msg}',
            }),
          );
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: NestLevel, message: unknown, params: unknown[]): void {
    const method = PINO_LEVEL[level];
    if (!this.pino.isLevelEnabled(method)) return;
    const { fields, text } = toRecord(level, message, params);
    // pino hands only the fields to formatters.log; the message text is scrubbed here.
    this.pino[method](fields, text === undefined ? undefined : redactText(text));
  }
}

/**
 * Nest's calling convention as one record: `(message, ...extra, context)`, where errors may pass a
 * stack string first (`logger.error(message, stack)`); objects merge into the record.
 */
function toRecord(
  level: NestLevel,
  message: unknown,
  params: unknown[],
): { fields: Record<string, unknown>; text: string | undefined } {
  const rest = [...params];
  const fields: Record<string, unknown> = {};
  if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') {
    fields.context = rest.pop();
  }
  const extra: unknown[] = [];
  for (const param of rest) {
    if (param === undefined) continue;
    if (level === 'error' && typeof param === 'string' && STACK.test(param)) fields.stack = param;
    else if (param instanceof Error) fields.err = param;
    else if (param !== null && typeof param === 'object') Object.assign(fields, param);
    else extra.push(param);
  }
  if (extra.length > 0) fields.extra = extra;

  if (typeof message === 'string') return { fields, text: message };
  if (message instanceof Error) {
    fields.err = message;
    return { fields, text: message.message };
  }
  if (message !== null && typeof message === 'object') {
    const { msg, message: text, ...own } = message as Record<string, unknown>;
    Object.assign(fields, own);
    const said = typeof msg === 'string' ? msg : typeof text === 'string' ? text : undefined;
    return { fields, text: said };
  }
  if (typeof message === 'number' || typeof message === 'boolean' || typeof message === 'bigint') {
    return { fields, text: String(message) };
  }
  return { fields, text: undefined };
}

/** What Nest treats as a stack trace passed beside an error message. */
const STACK = /^(.)+\n\s+at .+:\d+:\d+/;
