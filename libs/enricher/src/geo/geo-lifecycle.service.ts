import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { type AsnSource, type CitySource, CombinedGeoLookup } from '@telemetry/enrichment';
import { CLOCK } from '@telemetry/platform';
import { GEO_CONFIG, type GeoConfig } from './geo.config';
import { GEO_DATABASE_KINDS, type GeoDatabaseKind, openEmbedded, type OpenedGeoDatabase, openMmdbFileAs } from './geo-database';
import { GeoMetrics } from './geo.metrics';
import { LiveGeoLookup } from './live.geo-lookup';

/** Where the database being served came from: the configured path, DATA_DIR/geoip/, or the data that ships with the dependencies. */
export type GeoDatabaseSource = 'configured' | 'data_dir' | 'embedded';

/**
 * `loaded`: the file at `path` (or the embedded data) is served. `stale`: the file at `path`
 * changed and could not be loaded, the last good database is still served (see `last_error`).
 * `missing`: a configured file that has never loaded; this kind answers nothing until it appears.
 */
export type GeoDatabaseState = 'loaded' | 'stale' | 'missing';

/** One database's state, for `/v1/system`, logs and the admin routes. */
export interface GeoDatabaseStatus {
  readonly kind: GeoDatabaseKind;
  readonly status: GeoDatabaseState;
  readonly source: GeoDatabaseSource | null;
  /** The file watched, and where uploads and downloads of this kind are written. */
  readonly path: string;
  /** The files answering now (two for the embedded DB-IP data: IPv4 and IPv6). */
  readonly files: readonly string[];
  readonly databaseType: string | null;
  /** mmdb `build_epoch` as RFC 3339; null for the embedded ASN ranges (CSV). */
  readonly buildDate: string | null;
  readonly loadedAt: string | null;
  readonly lastError: { readonly message: string; readonly at: string } | null;
}

/** A watch event is followed by others while a writer is still at work: the check waits for them to settle. */
const SETTLE_MS = 100;

interface Slot {
  readonly kind: GeoDatabaseKind;
  readonly path: string;
  readonly configured: boolean;
  served: (OpenedGeoDatabase & { readonly origin: GeoDatabaseSource; readonly loadedAt: Date }) | null;
  /** The file version last tried (dev, inode, size, mtime), good or bad: a bad file is reported once, not on every poll. */
  attempted: string | null;
  lastError: { message: string; at: Date } | null;
  /** Checks of one slot run one after another. */
  queue: Promise<void>;
  settle: NodeJS.Timeout | null;
}

/**
 * Loads the GeoIP/ASN databases, keeps them current and says what they are.
 *
 * Changes are noticed two ways: an fs.watch on each database's directory (a rename over the file
 * and an in-place rewrite both raise events there; watching the file itself would lose track of
 * it after the first rename), and a stat of each file every GEOIP_RELOAD_POLL_S, because watchers
 * miss changes on some filesystems (NFS, some container overlays and bind mounts). Either one
 * only triggers a check; a check reloads when the file's identity (inode, size, mtime) differs
 * from the version last tried. A new file is read, opened and checked to be of its kind before
 * it is swapped in with one assignment; a file that fails keeps the last good database serving,
 * and is reported in the log, in `telemetry_geo_reloads_total{outcome="failed"}` and in status().
 *
 * At start, a configured file that exists but cannot be opened refuses the boot (the operator
 * pointed at the wrong file); a configured file that does not exist yet is `missing` (to be
 * downloaded or uploaded), and that kind answers nothing until it appears.
 */
@Injectable()
export class GeoLifecycle implements OnModuleInit, OnApplicationShutdown {
  /** Stable for the life of the process; answers from whatever is loaded now. */
  readonly lookup = new LiveGeoLookup();
  private readonly logger = new Logger('geoip');
  private readonly slots: Record<GeoDatabaseKind, Slot>;
  private readonly watchers = new Map<string, FSWatcher>();
  private poll: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    @Inject(GEO_CONFIG) private readonly config: GeoConfig,
    private readonly metrics: GeoMetrics,
    @Inject(CLOCK) private readonly clock: () => Date = () => new Date(),
  ) {
    const slot = (kind: GeoDatabaseKind, configuredPath: string | undefined): Slot => ({
      kind,
      path: configuredPath ?? join(config.dataDir, 'geoip', `${kind}.mmdb`),
      configured: configuredPath !== undefined,
      served: null,
      attempted: null,
      lastError: null,
      queue: Promise.resolve(),
      settle: null,
    });
    this.slots = { city: slot('city', config.cityPath), asn: slot('asn', config.asnPath) };
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** Loads both databases, then starts watching. */
  async start(): Promise<void> {
    await Promise.all(GEO_DATABASE_KINDS.map((kind) => this.initialLoad(this.slots[kind])));
    this.swap();
    const { city, asn } = this.lookup.describe();
    this.logger.log(`GeoIP city: ${city}; ASN: ${asn}`);
    if (this.config.watch) for (const slot of this.allSlots()) this.watchDirectoryOf(slot);
    if (this.config.pollIntervalMs > 0) {
      this.poll = setInterval(() => this.pollOnce(), this.config.pollIntervalMs);
      this.poll.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    for (const slot of this.allSlots()) if (slot.settle) clearTimeout(slot.settle);
  }

  /** The file a database of this kind is read from, and where uploads and downloads write it. */
  targetPath(kind: GeoDatabaseKind): string {
    return this.slots[kind].path;
  }

  /**
   * Checks the file of `kind` now (after an upload or a download wrote it, without waiting for
   * the watcher) and answers the resulting status.
   */
  async refresh(kind: GeoDatabaseKind): Promise<GeoDatabaseStatus> {
    await this.enqueueCheck(this.slots[kind]);
    return this.describeSlot(this.slots[kind]);
  }

  /** Path, type, build date and load status of each database (for `/v1/system`). */
  status(): Record<GeoDatabaseKind, GeoDatabaseStatus> {
    return { city: this.describeSlot(this.slots.city), asn: this.describeSlot(this.slots.asn) };
  }

  private allSlots(): Slot[] {
    return GEO_DATABASE_KINDS.map((kind) => this.slots[kind]);
  }

  private async initialLoad(slot: Slot): Promise<void> {
    const version = await this.fileVersion(slot.path);
    let failure: unknown;
    if (version !== null) {
      slot.attempted = version;
      try {
        this.install(slot, await openMmdbFileAs(slot.kind, slot.path));
        return;
      } catch (error) {
        this.metrics.failed(slot.kind);
        // A configured file that is there but unreadable is a configuration error: refuse to start.
        if (slot.configured) throw error;
        failure = error;
      }
    } else if (slot.configured) {
      this.logger.warn(`${slot.kind} database ${slot.path} does not exist (yet): no ${slot.kind} answers until it is written (upload or download)`);
      return;
    }
    this.install(slot, await openEmbedded(slot.kind), 'embedded');
    if (failure !== undefined) this.reportFailure(slot, failure);
  }

  private install(slot: Slot, opened: OpenedGeoDatabase, origin: GeoDatabaseSource = slot.configured ? 'configured' : 'data_dir'): void {
    slot.served = { ...opened, origin, loadedAt: this.clock() };
    slot.lastError = null;
    this.metrics.loaded(slot.kind, opened.buildEpoch);
  }

  /** Builds the next lookup from both slots' databases and swaps it in: one assignment. */
  private swap(): void {
    const city = this.slots.city.served;
    const asn = this.slots.asn.served;
    this.lookup.use(new CombinedGeoLookup((city?.source as CitySource | undefined) ?? null, (asn?.source as AsnSource | undefined) ?? null));
  }

  private enqueueCheck(slot: Slot): Promise<void> {
    slot.queue = slot.queue.then(() => this.check(slot)).catch((error: unknown) => this.logger.error(`${slot.kind} check: ${String(error)}`));
    return slot.queue;
  }

  private async check(slot: Slot): Promise<void> {
    if (this.stopped) return;
    const version = await this.fileVersion(slot.path);
    if (version === null || version === slot.attempted) return;
    slot.attempted = version;
    try {
      const opened = await openMmdbFileAs(slot.kind, slot.path);
      this.install(slot, opened);
      this.swap();
      this.logger.log(`${slot.kind} database reloaded from ${slot.path} (${opened.databaseType}, built ${opened.buildEpoch?.toISOString() ?? 'unknown'})`);
    } catch (error) {
      this.metrics.failed(slot.kind);
      this.reportFailure(slot, error);
    }
  }

  private reportFailure(slot: Slot, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    slot.lastError = { message, at: this.clock() };
    const keeping = slot.served ? `keeping the ${slot.served.origin} database loaded at ${slot.served.loadedAt.toISOString()}` : 'nothing loaded';
    this.logger.error(`${slot.kind} database ${slot.path} could not be loaded (${message}); ${keeping}`);
  }

  /** dev:inode:size:mtime, or null when the file is not there. */
  private async fileVersion(path: string): Promise<string | null> {
    try {
      const stats = await stat(path, { bigint: true });
      return stats.isFile() ? `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}` : null;
    } catch {
      return null;
    }
  }

  private pollOnce(): void {
    for (const slot of this.allSlots()) {
      // A directory that did not exist at start (DATA_DIR/geoip before the first upload) is watched once it does.
      if (this.config.watch) this.watchDirectoryOf(slot);
      void this.enqueueCheck(slot);
    }
  }

  private watchDirectoryOf(slot: Slot): void {
    const dir = dirname(slot.path);
    if (this.watchers.has(dir) || this.stopped) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (_event, filename) => this.onDirectoryEvent(dir, filename));
    } catch {
      return; // not there (yet): the poll checks the file and tries again
    }
    watcher.on('error', (error) => {
      this.logger.warn(`watching ${dir} stopped (${error.message}); the ${this.config.pollIntervalMs / 1000} s poll goes on`);
      watcher.close();
      this.watchers.delete(dir);
    });
    this.watchers.set(dir, watcher);
  }

  private onDirectoryEvent(dir: string, filename: string | Buffer | null): void {
    const name = filename === null ? null : String(filename);
    for (const slot of this.allSlots()) {
      if (dirname(slot.path) !== dir || (name !== null && name !== basename(slot.path))) continue;
      if (slot.settle) clearTimeout(slot.settle);
      slot.settle = setTimeout(() => {
        slot.settle = null;
        void this.enqueueCheck(slot);
      }, SETTLE_MS);
      slot.settle.unref();
    }
  }

  private describeSlot(slot: Slot): GeoDatabaseStatus {
    const served = slot.served;
    return {
      kind: slot.kind,
      status: served === null ? 'missing' : slot.lastError ? 'stale' : 'loaded',
      source: served?.origin ?? null,
      path: slot.path,
      files: served?.files ?? [],
      databaseType: served?.databaseType ?? null,
      buildDate: served?.buildEpoch?.toISOString() ?? null,
      loadedAt: served?.loadedAt.toISOString() ?? null,
      lastError: slot.lastError ? { message: slot.lastError.message, at: slot.lastError.at.toISOString() } : null,
    };
  }
}
