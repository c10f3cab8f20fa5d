import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class GeoErrorDto {
  @ApiProperty({ example: 'geoip_download_not_configured' })
  error!: string;

  @ApiProperty({ example: 'MaxMind downloads need MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY in this process’s environment' })
  message!: string;
}

export class JobStartedDto {
  @ApiProperty({ example: '9b2f6a3e-6d1c-4f57-8c1e-2a9d5f0b7c44' })
  job_id!: string;
}

export class JobErrorDto {
  @ApiProperty({ example: 'checksum_mismatch' })
  code!: string;

  @ApiProperty({ example: 'GeoLite2-City: the archive’s SHA-256 is 3f…, MaxMind published 9a…' })
  message!: string;
}

export class JobDto {
  @ApiProperty({ example: '9b2f6a3e-6d1c-4f57-8c1e-2a9d5f0b7c44' })
  id!: string;

  @ApiProperty({ example: 'geoip_download' })
  type!: string;

  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] })
  status!: string;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ example: '2026-12-02T08:00:04.000Z' })
  updated_at!: string;

  @ApiProperty({ description: 'Share of the work done, 0..1', example: 0.5 })
  progress!: number;

  @ApiProperty({ description: 'Bytes received so far', example: 31457280 })
  bytes_downloaded!: number;

  @ApiProperty({ type: JobErrorDto, nullable: true })
  error!: JobErrorDto | null;

  @ApiPropertyOptional({
    nullable: true,
    description: 'When completed: what was installed',
    example: {
      databases: [
        {
          edition: 'GeoLite2-City',
          database_type: 'GeoLite2-City',
          kind: 'city',
          build_date: '2026-11-28T12:00:00.000Z',
          path: '/data/GeoLite2-City.mmdb',
          size: 61234567,
          checksum: '…',
          archive_sha256: '…',
          status: 'loaded',
        },
      ],
    },
  })
  result!: Record<string, unknown> | null;
}

export class GeoAnswerDto {
  @ApiPropertyOptional({ example: 'US', nullable: true })
  country!: string | null;

  @ApiPropertyOptional({ example: 'Mountain View', nullable: true })
  city!: string | null;

  @ApiPropertyOptional({ example: 37.386, nullable: true })
  latitude!: number | null;

  @ApiPropertyOptional({ example: -122.0838, nullable: true })
  longitude!: number | null;

  @ApiPropertyOptional({ example: 'America/Los_Angeles', nullable: true })
  timezone!: string | null;
}

export class AsnAnswerDto {
  @ApiProperty({ example: 15169 })
  number!: number;

  @ApiPropertyOptional({ example: 'GOOGLE', nullable: true })
  organization!: string | null;
}

export class GeoTestDto {
  @ApiProperty({ example: '8.8.8.8' })
  ip!: string;

  @ApiProperty({ type: GeoAnswerDto, nullable: true, description: 'null: no database knows the address (private and reserved ones included)' })
  geo!: GeoAnswerDto | null;

  @ApiProperty({ type: AsnAnswerDto, nullable: true })
  asn!: AsnAnswerDto | null;
}

export class UploadedGeoDatabaseDto {
  @ApiProperty({ example: 'c1d2e3f4-0a1b-4c2d-9e8f-7a6b5c4d3e2f' })
  blob_id!: string;

  @ApiProperty({ description: 'Where it was stored: GEOIP_DB_CITY / GEOIP_DB_ASN, or DATA_DIR/geoip/{city,asn}.mmdb', example: '/data/GeoLite2-City.mmdb' })
  path!: string;

  @ApiProperty({ example: 61234567 })
  size!: number;

  @ApiProperty({ description: 'SHA-256 of the file, hex', example: '5b1c…' })
  checksum!: string;

  @ApiProperty({ description: 'From the file’s metadata; decides whether it replaces the City or the ASN database', example: 'GeoLite2-City' })
  database_type!: string;

  @ApiProperty({ description: 'The file’s metadata build_epoch', example: '2026-11-28T12:00:00.000Z' })
  build_date!: string;

  @ApiProperty({ enum: ['city', 'asn'] })
  kind!: string;

  @ApiProperty({ enum: ['loaded', 'stale', 'missing'], description: 'The database’s status once reloaded' })
  status!: string;
}
