import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { writeFileAtomic } from '../atomic-file';
import { inspectMmdb, kindOfDatabaseType, type MmdbInfo } from '../geo-database';
import { GeoRequestError } from '../geo.errors';
import { GeoLifecycle } from '../geo-lifecycle.service';

/** The answer of POST /v1/upload/geoip. */
export interface UploadedGeoDatabase {
  readonly blob_id: string;
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the file, hex. */
  readonly checksum: string;
  readonly database_type: string;
  readonly build_date: string;
  /** city or asn: which database it replaced. */
  readonly kind: string;
  /** The database's status once reloaded (loaded, unless the file changed again meanwhile). */
  readonly status: string;
}

/** POST /v1/upload/geoip: an mmdb, checked by opening it, stored over the database of its kind, then loaded. */
@Injectable()
export class GeoUploadService {
  constructor(private readonly lifecycle: GeoLifecycle) {}

  async store(file: { readonly buffer: Buffer; readonly originalname?: string } | undefined): Promise<UploadedGeoDatabase> {
    if (!file) throw new GeoRequestError('file_required', 400, 'Send the database as multipart/form-data in the field "f"', { field: 'f' });
    let info: MmdbInfo;
    try {
      info = inspectMmdb(file.buffer, file.originalname ?? 'upload');
    } catch {
      throw new GeoRequestError('not_mmdb', 400, 'GeoIP upload must be a MaxMind DB (.mmdb) file; this one cannot be opened as one', { field: 'f' });
    }
    const kind = kindOfDatabaseType(info.databaseType);
    if (kind === null) {
      throw new GeoRequestError('unsupported_database_type', 422, `Database type "${info.databaseType}" is neither a City/Country nor an ASN database`, {
        database_type: info.databaseType,
      });
    }
    const path = this.lifecycle.targetPath(kind);
    try {
      await writeFileAtomic(path, file.buffer);
    } catch (error) {
      // A read-only mount, a full disk, a missing permission: the operator's to fix, not a server bug.
      throw new GeoRequestError('geoip_not_writable', 409, `Cannot store the ${kind} database at ${path}: ${(error as Error).message}`, { path, kind });
    }
    const status = await this.lifecycle.refresh(kind);
    return {
      blob_id: randomUUID(),
      path,
      size: file.buffer.length,
      checksum: createHash('sha256').update(file.buffer).digest('hex'),
      database_type: info.databaseType,
      build_date: info.buildEpoch.toISOString(),
      kind,
      status: status.status,
    };
  }
}
