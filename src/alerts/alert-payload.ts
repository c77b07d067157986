/**
 * What an alert mail says, captured when the alert is decided (in the digest
 * transaction), so the mail shows the issue as it was then, and the sender needs
 * no further reads of event data.
 */
import { exceptionsOf, framesOf } from '../issues/stacktrace-view.js';
import type { JsonObject } from '../digest/event-types.js';

export type AlertTrigger = 'new_issue' | 'regression' | 'unmute';

export interface AlertPayload {
  trigger: AlertTrigger;
  projectId: number;
  projectName: string;
  issueId: number;
  title: string;
  culprit: string;
  level: string;
  eventCount: number;
  release: string | null;
  environment: string | null;
  /** The newest frames of the thrown exception, "function (file:line)". */
  frames: string[];
  /** Path of the issue page; the sender prefixes BASE_URL. */
  path: string;
}

const FRAMES_IN_MAIL = 5;

export function alertFrames(data: JsonObject): string[] {
  const thrown = exceptionsOf(data).at(-1);
  const frames = thrown?.frames.length ? thrown.frames : framesOf(data);
  const inApp = frames.filter((f) => f.inApp);
  return (inApp.length ? inApp : frames).slice(0, FRAMES_IN_MAIL).map((f) => {
    const where = [f.location, f.lineno].filter((x) => x !== null && x !== '').join(':');
    return where ? `${f.function} (${where})` : f.function;
  });
}

export function issuePath(issueId: number): string {
  return `/issues/${issueId}`;
}
