/** Patchwork patches as items of the Patches table (layout: infra/table-schema.ts). */
import { parsePatchSubject } from './patch-subject';
import { PatchworkPatch } from './patchwork';

export interface PatchItem {
  readonly id: string;
  readonly name: string;
  /** Message-ID of the patch mail, without angle brackets. */
  readonly msgid: string;
  /** Submission time, ISO 8601 UTC. */
  readonly date: string;
  readonly state: string;
  readonly archived: boolean;
  readonly project: string;
  readonly submitterEmail: string;
  readonly submitterName?: string;
  readonly seriesId?: string;
  readonly seriesName?: string;
  readonly seriesVersion?: number;
  /** Position in the series and its size, from the `[vN,M/N]` name. */
  readonly seriesPosition?: number;
  readonly seriesTotal?: number;
  readonly delegate?: string;
  readonly commitRef?: string;
  readonly hash?: string;
  readonly webUrl?: string;
  readonly mboxUrl?: string;
  readonly listArchiveUrl?: string;
}

/** Patchwork writes UTC times without a zone ("2024-05-01T12:34:56"). */
export function isoUtc(date: string): string {
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(date) ? date : `${date}Z`;
  const time = Date.parse(zoned);
  if (Number.isNaN(time)) throw new Error(`not a date: ${date}`);
  return new Date(time).toISOString();
}

/** The item of a patch: a pure function of the API's data, so writing it again changes nothing. */
export function patchItem(p: PatchworkPatch): PatchItem {
  const series = p.series[0];
  const subject = parsePatchSubject(p.name);
  return {
    id: String(p.id),
    name: p.name,
    msgid: p.msgid.replace(/^<|>$/g, ''),
    date: isoUtc(p.date),
    state: p.state,
    archived: p.archived ?? false,
    project: p.project.link_name,
    submitterEmail: p.submitter.email.toLowerCase(),
    submitterName: p.submitter.name ?? undefined,
    seriesId: series ? String(series.id) : undefined,
    seriesName: series?.name ?? undefined,
    seriesVersion: series?.version ?? subject?.version,
    seriesPosition: subject?.position,
    seriesTotal: subject?.total,
    delegate: p.delegate?.username,
    commitRef: p.commit_ref ?? undefined,
    hash: p.hash ?? undefined,
    webUrl: p.web_url ?? undefined,
    mboxUrl: p.mbox ?? undefined,
    listArchiveUrl: p.list_archive_url ?? undefined,
  };
}
