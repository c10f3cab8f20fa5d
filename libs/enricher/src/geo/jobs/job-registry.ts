import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK } from '@telemetry/platform';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

/** A background job as GET /v1/jobs answers it. */
export interface JobView {
  readonly id: string;
  readonly type: string;
  readonly status: JobStatus;
  readonly created_at: string;
  readonly updated_at: string;
  /** 0..1 */
  readonly progress: number;
  readonly bytes_downloaded: number;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly result: Readonly<Record<string, unknown>> | null;
}

/** What a running job may tell its registry. */
export interface JobReporter {
  progress(fraction: number, bytes?: number): void;
}

interface Job {
  id: string;
  type: string;
  status: JobStatus;
  createdAt: Date;
  updatedAt: Date;
  progress: number;
  bytes: number;
  error: { code: string; message: string } | null;
  result: Record<string, unknown> | null;
}

/** Finished jobs beyond this many are forgotten, oldest first. */
export const MAX_REMEMBERED_JOBS = 100;

/**
 * Background jobs of this process, held in memory: a restart forgets them, and each process
 * (query-api replica, all-in-one) knows only the jobs it runs.
 */
@Injectable()
export class JobRegistry {
  private readonly logger = new Logger('jobs');
  private readonly jobs = new Map<string, Job>();

  constructor(@Inject(CLOCK) private readonly clock: () => Date = () => new Date()) {}

  /** Queues `run` and answers the job at once; `run`'s answer is the job's result, its error the job's error. */
  start(type: string, run: (reporter: JobReporter) => Promise<Record<string, unknown>>): JobView {
    const now = this.clock();
    const job: Job = { id: randomUUID(), type, status: 'queued', createdAt: now, updatedAt: now, progress: 0, bytes: 0, error: null, result: null };
    this.jobs.set(job.id, job);
    this.forgetOldest();
    const reporter: JobReporter = {
      progress: (fraction, bytes) => {
        job.progress = Math.min(1, Math.max(0, fraction));
        if (bytes !== undefined) job.bytes = bytes;
        job.updatedAt = this.clock();
      },
    };
    setImmediate(() => {
      job.status = 'running';
      job.updatedAt = this.clock();
      run(reporter).then(
        (result) => {
          Object.assign(job, { status: 'completed', progress: 1, result, updatedAt: this.clock() });
        },
        (error: unknown) => {
          const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'job_failed';
          const message = error instanceof Error ? error.message : String(error);
          Object.assign(job, { status: 'failed', error: { code, message }, updatedAt: this.clock() });
          this.logger.warn(`${type} job ${job.id} failed: ${code}: ${message}`);
        },
      );
    });
    return this.view(job);
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job ? this.view(job) : undefined;
  }

  /** Newest first. */
  list(): JobView[] {
    return [...this.jobs.values()].reverse().map((job) => this.view(job));
  }

  /** A job of this type that has not finished, if any. */
  active(type: string): JobView | undefined {
    return this.list().find((job) => job.type === type && (job.status === 'queued' || job.status === 'running'));
  }

  private forgetOldest(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= MAX_REMEMBERED_JOBS) return;
      if (job.status === 'completed' || job.status === 'failed') this.jobs.delete(id);
    }
  }

  private view(job: Job): JobView {
    return {
      id: job.id,
      type: job.type,
      status: job.status,
      created_at: job.createdAt.toISOString(),
      updated_at: job.updatedAt.toISOString(),
      progress: job.progress,
      bytes_downloaded: job.bytes,
      error: job.error ? { ...job.error } : null,
      result: job.result,
    };
  }
}
