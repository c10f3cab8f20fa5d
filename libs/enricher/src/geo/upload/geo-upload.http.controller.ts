import {
  CallHandler,
  Controller,
  ExecutionContext,
  HttpCode,
  HttpException,
  Inject,
  Injectable,
  NestInterceptor,
  Post,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequireScope } from '@telemetry/auth';
import { catchError, Observable, throwError } from 'rxjs';
import { GEO_CONFIG, type GeoConfig } from '../geo.config';
import { GeoRequestError } from '../geo.errors';
import { GeoErrorDto, UploadedGeoDatabaseDto } from '../geo.views';
import { GeoUploadService, type UploadedGeoDatabase } from './geo-upload.service';

/** multer's refusals (too large, another field, a broken multipart body) as coded errors instead of generic HTTP ones. */
@Injectable()
export class UploadRefusalInterceptor implements NestInterceptor {
  constructor(@Inject(GEO_CONFIG) private readonly config: GeoConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof HttpException)) return throwError(() => error);
        const message = error.message;
        if (error.getStatus() === 413) {
          return throwError(
            () =>
              new GeoRequestError('payload_too_large', 413, `The file exceeds ${this.config.maxBytes} bytes (GEOIP_MAX_BYTES)`, {
                limit_bytes: this.config.maxBytes,
              }),
          );
        }
        return throwError(() => new GeoRequestError('invalid_upload', 400, `${message}; send one file in the multipart field "f"`, { field: 'f' }));
      }),
    );
  }
}

/** The original's upload route (`POST /v1/upload/geoip`, multipart field `f`), which now also reaches enrichment. */
@ApiTags('admin: GeoIP/ASN')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: GeoErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: GeoErrorDto })
@RequireScope('admin')
@Controller('v1/upload')
export class GeoUploadHttpController {
  constructor(private readonly uploads: GeoUploadService) {}

  @Post('geoip')
  @HttpCode(200)
  // Outermost first: the refusal mapping sees what the file interceptor (multer, held in memory, GEOIP_MAX_BYTES) throws.
  @UseInterceptors(UploadRefusalInterceptor, FileInterceptor('f'))
  @ApiOperation({
    summary: 'Upload a GeoIP City or ASN database (.mmdb)',
    description:
      'The file is opened as a MaxMind DB; its metadata `database_type` decides whether it replaces the City or the ASN database. It is ' +
      'written atomically to GEOIP_DB_CITY / GEOIP_DB_ASN, or DATA_DIR/geoip/{city,asn}.mmdb when that kind has no configured path, and ' +
      'loaded at once; other processes watching the same file reload it too. At most GEOIP_MAX_BYTES (default 256 MiB).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['f'], properties: { f: { type: 'string', format: 'binary', description: 'The .mmdb file' } } } })
  @ApiOkResponse({ type: UploadedGeoDatabaseDto })
  @ApiBadRequestResponse({ description: '`not_mmdb` (cannot be opened as a MaxMind DB), `file_required` or `invalid_upload`', type: GeoErrorDto })
  @ApiPayloadTooLargeResponse({ description: '`payload_too_large`', type: GeoErrorDto })
  @ApiConflictResponse({ description: '`geoip_not_writable`: the target path cannot be written (a read-only mount, a full disk)', type: GeoErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`unsupported_database_type`: neither a City/Country nor an ASN database', type: GeoErrorDto })
  upload(@UploadedFile() file: { buffer: Buffer; originalname?: string } | undefined): Promise<UploadedGeoDatabase> {
    return this.uploads.store(file);
  }
}
