import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The next offset a projection applies, stored in the same transaction as the rows it wrote. */
@Entity({ name: 'projection_offsets' })
export class ProjectionOffsetEntity {
  @PrimaryColumn({ name: 'projection', type: 'varchar', length: 128 })
  projection!: string;

  @PrimaryColumn({ name: 'topic', type: 'varchar', length: 255 })
  topic!: string;

  @PrimaryColumn({ name: 'partition', type: 'integer' })
  partition!: number;

  @Column({ name: 'next_offset', type: 'varchar', length: 32 })
  nextOffset!: string;
}
