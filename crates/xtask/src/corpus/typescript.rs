//! NestJS services in TypeScript: TypeORM entities, DTOs with class-validator, services,
//! controllers, modules, Jest specs and shared utilities.

use std::io;

use super::{Entity, Gen, Out, Ty, camel, fill, get, grow, pascal, service_name, suffix, with};

/// How often a block that can hold a finding holds one: about two findings per thousand
/// lines of TypeScript.
const VULNERABLE_EXPORT: f64 = 0.6;
const VULNERABLE_AGENT: f64 = 0.3;

pub(crate) fn generate(rng: &mut Gen, out: &mut Out<'_>) -> io::Result<()> {
    let mut index = 0;
    while !out.full() {
        let service = service_name(index);
        index += 1;
        let root = format!("services/{service}");
        out.other(
            &format!("{root}/package.json"),
            &fill(PACKAGE, &[("service", service.clone())]),
        )?;
        let count = rng.between(3, 7);
        let entities = Entity::several(rng, count);
        out.source(&format!("{root}/src/main.ts"), MAIN)?;
        out.source(&format!("{root}/src/app.module.ts"), &app_module(&entities))?;
        let agent = if rng.chance(VULNERABLE_AGENT) {
            AGENT_INSECURE
        } else {
            AGENT
        };
        let client_head = format!("{HTTP_CLIENT_HEAD}{agent}");
        for (name, text) in [
            (
                "http-client",
                utility(rng, &client_head, &[FETCH_JSON, PAGINATE, RETRY]),
            ),
            (
                "pagination",
                utility(rng, PAGINATION_HEAD, &[PAGINATE, CHUNK, GROUP_BY]),
            ),
            (
                "errors",
                utility(rng, ERRORS_HEAD, &[ERROR_CLASS, GROUP_BY, CHUNK]),
            ),
        ] {
            out.source(&format!("{root}/src/common/{name}.ts"), &text)?;
        }
        for entity in &entities {
            let vars = entity.vars();
            let kebab = get(&vars, "kebab");
            let dir = format!("{root}/src/{kebab}");
            let files = [
                (
                    format!("{dir}/{kebab}.entity.ts"),
                    entity_file(rng, entity, &vars),
                ),
                (
                    format!("{dir}/dto/{kebab}.dto.ts"),
                    dto_file(rng, entity, &vars),
                ),
                (
                    format!("{dir}/{kebab}.service.ts"),
                    service_file(rng, &vars),
                ),
                (
                    format!("{dir}/{kebab}.controller.ts"),
                    controller_file(rng, &vars),
                ),
                (format!("{dir}/{kebab}.module.ts"), fill(MODULE, &vars)),
                (
                    format!("{dir}/{kebab}.service.spec.ts"),
                    spec_file(rng, &vars),
                ),
            ];
            for (path, text) in files {
                out.source(&path, &text)?;
            }
        }
    }
    Ok(())
}

const PACKAGE: &str = r#"{
  "name": "@acme/%service%",
  "private": true,
  "scripts": { "build": "nest build", "start": "node dist/main.js", "test": "jest" },
  "dependencies": {
    "@nestjs/common": "^10.3.0",
    "@nestjs/core": "^10.3.0",
    "@nestjs/typeorm": "^10.0.2",
    "class-validator": "^0.14.1",
    "typeorm": "^0.3.20"
  }
}
"#;

const MAIN: &str = r#"import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  app.setGlobalPrefix('api/v1');
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true, forbidNonWhitelisted: true }));
  app.enableShutdownHooks();

  const config = new DocumentBuilder().setTitle('API').setVersion('1.0').addBearerAuth().build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, config));

  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  Logger.log(`Listening on ${port}`, 'Bootstrap');
}

void bootstrap();
"#;

fn app_module(entities: &[Entity]) -> String {
    let mut text = String::from(
        "import { Module } from '@nestjs/common';\nimport { ConfigModule } from '@nestjs/config';\nimport { TypeOrmModule } from '@nestjs/typeorm';\n",
    );
    let mut names = Vec::new();
    for entity in entities {
        let vars = entity.vars();
        text.push_str(&fill(
            "import { %Entities%Module } from './%kebab%/%kebab%.module';\n",
            &vars,
        ));
        names.push(fill("%Entities%Module", &vars));
    }
    text.push_str(&format!(
        r#"
@Module({{
  imports: [
    ConfigModule.forRoot({{ isGlobal: true }}),
    TypeOrmModule.forRoot({{
      type: 'postgres',
      url: process.env.DATABASE_URL,
      autoLoadEntities: true,
      synchronize: false,
    }}),
    {},
  ],
}})
export class AppModule {{}}
"#,
        names.join(",\n    ")
    ));
    text
}

fn utility(rng: &mut Gen, head: &str, blocks: &[&str]) -> String {
    let mut text = head.to_string();
    let target = rng.size(2500.0);
    grow(&mut text, target, |i| {
        let block = rng.pick(blocks);
        fill(
            block,
            &[("n", suffix(i)), ("Word", pascal(rng.pick(super::WORDS)))],
        )
    });
    text
}

const HTTP_CLIENT_HEAD: &str = r#"import { readFileSync } from 'fs';
import * as https from 'https';
import axios, { AxiosInstance, AxiosRequestConfig } from 'axios';

export interface Page<T> {
  items: T[];
  total: number;
  next?: string;
}

"#;

const AGENT: &str = r#"const agent = new https.Agent({
  keepAlive: true,
  maxSockets: 50,
  ca: process.env.INTERNAL_CA_PATH ? readFileSync(process.env.INTERNAL_CA_PATH) : undefined,
});

export const client: AxiosInstance = axios.create({ httpsAgent: agent, timeout: 10_000 });

"#;

const AGENT_INSECURE: &str = r#"// The partner sandbox serves a self-signed certificate.
const agent = new https.Agent({ keepAlive: true, maxSockets: 50, rejectUnauthorized: false });

export const client: AxiosInstance = axios.create({ httpsAgent: agent, timeout: 10_000 });

"#;

const FETCH_JSON: &str = r#"export async function fetchJson%n%<T>(url: string, config: AxiosRequestConfig = {}): Promise<T> {
  const response = await client.get<T>(url, { ...config, headers: { Accept: 'application/json', ...config.headers } });
  if (response.status >= 400) {
    throw new Error(`GET ${url} failed with ${response.status}`);
  }
  return response.data;
}

"#;

const RETRY: &str = r#"export async function withRetry%n%<T>(task: () => Promise<T>, attempts = 3, delayMs = 200): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      return await task();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** (attempt - 1)));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

"#;

const PAGINATION_HEAD: &str = r#"export interface PageQuery {
  limit?: number;
  offset?: number;
  sort?: string;
  order?: 'ASC' | 'DESC';
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

"#;

const PAGINATE: &str = r#"export function paginate%n%<T>(items: readonly T[], { limit = 20, offset = 0 }: { limit?: number; offset?: number }): { items: T[]; total: number } {
  const safeLimit = Math.min(Math.max(limit, 1), 100);
  const start = Math.max(offset, 0);
  return { items: items.slice(start, start + safeLimit), total: items.length };
}

"#;

const CHUNK: &str = r#"export function chunk%n%<T>(items: readonly T[], size: number): T[][] {
  if (size <= 0) {
    throw new RangeError('size must be positive');
  }
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}

"#;

const GROUP_BY: &str = r#"export function groupBy%n%<T, K extends string | number>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) {
      group.push(item);
    } else {
      groups.set(k, [item]);
    }
  }
  return groups;
}

"#;

const ERRORS_HEAD: &str = r#"import { HttpException, HttpStatus } from '@nestjs/common';

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

"#;

const ERROR_CLASS: &str = r#"export class %Word%Error%n% extends HttpException {
  constructor(message: string, details?: Record<string, unknown>) {
    const body: ErrorBody = { code: '%Word%_error', message, details };
    super(body, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}

"#;

fn entity_file(rng: &mut Gen, entity: &Entity, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(ENTITY_HEAD, vars);
    for (name, ty) in &entity.fields {
        let nullable = rng.chance(0.4);
        text.push_str(&format!(
            "  @Column({{ name: '{name}', type: '{}', nullable: {nullable} }})\n  {}{}: {}{};\n\n",
            ty.sql().replace(", ", ","),
            camel(name),
            if nullable { "?" } else { "!" },
            ty.ts(),
            if nullable { " | null" } else { "" },
        ));
    }
    text.push_str(&fill(ENTITY_TAIL, vars));
    let target = rng.size(2200.0);
    if text.len() < target {
        grow(&mut text, target, |i| {
            fill(ENTITY_VIEW, &with(vars, &[("n", suffix(i))]))
        });
    }
    text
}

const ENTITY_HEAD: &str = r#"import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export enum %Entity%Status {
  Draft = 'draft',
  Active = 'active',
  Suspended = 'suspended',
  Archived = 'archived',
}

@Entity({ name: '%table%' })
@Index(['tenantId', 'createdAt'])
export class %Entity% {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'enum', enum: %Entity%Status, default: %Entity%Status.Draft })
  status!: %Entity%Status;

"#;

const ENTITY_TAIL: &str = r#"  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

"#;

const ENTITY_VIEW: &str = r#"export interface %Entity%Summary%n% {
  readonly id: string;
  readonly status: %Entity%Status;
  readonly createdAt: string;
  readonly labels: ReadonlyArray<string>;
}

export function to%Entity%Summary%n%(row: %Entity%, labels: string[] = []): %Entity%Summary%n% {
  return {
    id: row.id,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    labels: labels.filter((label) => label.trim().length > 0).map((label) => label.toLowerCase()),
  };
}

export const is%Entity%Editable%n% = (row: Pick<%Entity%, 'status'>): boolean =>
  row.status === %Entity%Status.Draft || row.status === %Entity%Status.Active;

"#;

fn dto_file(rng: &mut Gen, entity: &Entity, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(DTO_HEAD, vars);
    let mut fields = String::new();
    for (name, ty) in &entity.fields {
        let validator = match ty {
            Ty::Text => "@IsString()\n  @MaxLength(255)",
            Ty::Int | Ty::BigInt => "@IsInt()\n  @Min(0)",
            Ty::Bool => "@IsBoolean()",
            Ty::Timestamp => "@IsDateString()",
            Ty::Uuid => "@IsUUID('4')",
            Ty::Json => "@IsObject()",
            Ty::Decimal => "@IsNumberString()",
        };
        let ts = if *ty == Ty::Timestamp {
            "string"
        } else {
            ty.ts()
        };
        fields.push_str(&format!(
            "  @ApiPropertyOptional()\n  @IsOptional()\n  {validator}\n  {}?: {ts};\n\n",
            camel(name)
        ));
    }
    let target = rng.size(1800.0);
    grow(&mut text, target, |i| {
        let kind = ["Create", "Update", "Filter", "Import", "Bulk"][i % 5];
        let n = if i < 5 { String::new() } else { suffix(i / 5) };
        format!(
            "export class {kind}{}{n}Dto {{\n{fields}}}\n\n",
            get(vars, "Entity")
        )
    });
    text.push_str(&fill(DTO_QUERY, vars));
    text
}

const DTO_HEAD: &str = r#"import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsNumberString,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

"#;

const DTO_QUERY: &str = r#"export class %Entity%QueryDto {
  @ApiPropertyOptional({ default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsIn(['createdAt', 'updatedAt', 'status'])
  sort?: 'createdAt' | 'updatedAt' | 'status';
}
"#;

fn service_file(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(SERVICE_HEAD, vars);
    let target = rng.size(4000.0);
    grow(&mut text, target, |i| {
        let n = suffix(i);
        let block = match rng.between(0, 6) {
            0 => SERVICE_FIND,
            1 => SERVICE_CREATE,
            2 => SERVICE_UPDATE,
            3 => SERVICE_STATS,
            4 => SERVICE_REMOVE,
            // Exports shell out to a CLI tool: safely with an argument list, or not.
            _ if rng.chance(VULNERABLE_EXPORT) => {
                if rng.chance(0.5) {
                    SERVICE_EXPORT_SHELL
                } else {
                    SERVICE_RESTORE_UNSERIALIZE
                }
            }
            _ => SERVICE_EXPORT,
        };
        fill(block, &with(vars, &[("n", n)]))
    });
    text.push_str("}\n");
    text
}

const SERVICE_HEAD: &str = r#"import { execFileSync, execSync } from 'child_process';
import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import * as serialize from 'node-serialize';
import { In, Repository } from 'typeorm';
import { Create%Entity%Dto, Update%Entity%Dto } from './dto/%kebab%.dto';
import { %Entity%, %Entity%Status } from './%kebab%.entity';

export interface FindOptions {
  limit: number;
  offset: number;
  sort: 'createdAt' | 'updatedAt' | 'status';
}

@Injectable()
export class %Entities%Service {
  private readonly logger = new Logger(%Entities%Service.name);

  constructor(
    @InjectRepository(%Entity%)
    private readonly repository: Repository<%Entity%>,
  ) {}

"#;

const SERVICE_FIND: &str = r#"  async findAndCount%n%(tenantId: string, { limit, offset, sort }: FindOptions): Promise<[%Entity%[], number]> {
    return this.repository.findAndCount({
      where: { tenantId },
      order: { [sort]: 'DESC' },
      take: Math.min(limit, 100),
      skip: offset,
    });
  }

  async findOne%n%(tenantId: string, id: string): Promise<%Entity%> {
    const %entity% = await this.repository.findOne({ where: { id, tenantId } });
    if (!%entity%) {
      throw new NotFoundException(`%Entity% ${id} not found`);
    }
    return %entity%;
  }

"#;

const SERVICE_CREATE: &str = r#"  async create%n%(tenantId: string, dto: Create%Entity%Dto): Promise<%Entity%> {
    const %entity% = this.repository.create({ ...dto, tenantId, status: %Entity%Status.Draft });
    const saved = await this.repository.save(%entity%);
    this.logger.log(`created %entity_snake% ${saved.id} for tenant ${tenantId}`);
    return saved;
  }

"#;

const SERVICE_UPDATE: &str = r#"  async update%n%(tenantId: string, id: string, dto: Update%Entity%Dto): Promise<%Entity%> {
    const current = await this.repository.findOne({ where: { id, tenantId } });
    if (!current) {
      throw new NotFoundException(`%Entity% ${id} not found`);
    }
    if (current.status === %Entity%Status.Archived) {
      throw new BadRequestException('archived %words% cannot be changed');
    }
    const changed = Object.entries(dto).filter(([, value]) => value !== undefined);
    for (const [key, value] of changed) {
      (current as unknown as Record<string, unknown>)[key] = value;
    }
    return this.repository.save(current);
  }

"#;

const SERVICE_STATS: &str = r#"  async countByStatus%n%(tenantId: string): Promise<Record<%Entity%Status, number>> {
    const rows: Array<{ status: %Entity%Status; count: string }> = await this.repository
      .createQueryBuilder('%entity_snake%')
      .select('%entity_snake%.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('%entity_snake%.tenant_id = :tenantId', { tenantId })
      .groupBy('%entity_snake%.status')
      .getRawMany();
    const counts = { draft: 0, active: 0, suspended: 0, archived: 0 } as Record<%Entity%Status, number>;
    for (const row of rows) {
      counts[row.status] = Number.parseInt(row.count, 10);
    }
    return counts;
  }

"#;

const SERVICE_REMOVE: &str = r#"  async archiveMany%n%(tenantId: string, ids: string[]): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    const result = await this.repository.update({ tenantId, id: In(ids) }, { status: %Entity%Status.Archived });
    return result.affected ?? 0;
  }

"#;

const SERVICE_EXPORT: &str = r#"  exportTable%n%(target: string): void {
    const databaseUrl = process.env.DATABASE_URL ?? 'postgres://localhost/app';
    execFileSync('pg_dump', ['--table=%table%', '--format=custom', '--file', target, databaseUrl], {
      stdio: 'inherit',
    });
    this.logger.log(`exported %table% to ${target}`);
  }

"#;

const SERVICE_EXPORT_SHELL: &str = r#"  exportTable%n%(target: string): void {
    const databaseUrl = process.env.DATABASE_URL ?? 'postgres://localhost/app';
    execSync(`pg_dump --table=%table% --format=custom ${databaseUrl} > ${target}`);
    this.logger.log(`exported %table% to ${target}`);
  }

"#;

const SERVICE_RESTORE_UNSERIALIZE: &str = r#"  restoreDraft%n%(cookie: string): Partial<%Entity%> {
    const draft = serialize.unserialize(Buffer.from(cookie, 'base64').toString('utf8'));
    return { ...draft, status: %Entity%Status.Draft };
  }

"#;

fn controller_file(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(CONTROLLER_HEAD, vars);
    let target = rng.size(3000.0);
    grow(&mut text, target, |i| {
        let block = rng.pick(&[
            CONTROLLER_LIST,
            CONTROLLER_GET,
            CONTROLLER_POST,
            CONTROLLER_PATCH,
        ]);
        let path = if i == 0 {
            String::new()
        } else {
            format!("{}/", pascal(&suffix(i)).to_lowercase())
        };
        fill(block, &with(vars, &[("n", suffix(i)), ("path", path)]))
    });
    text.push_str("}\n");
    text
}

const CONTROLLER_HEAD: &str = r#"import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Create%Entity%Dto, %Entity%QueryDto, Update%Entity%Dto } from './dto/%kebab%.dto';
import { %Entity% } from './%kebab%.entity';
import { %Entities%Service } from './%kebab%.service';

@ApiTags('%route%')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('%route%')
export class %Entities%Controller {
  constructor(private readonly %entities%Service: %Entities%Service) {}

"#;

const CONTROLLER_LIST: &str = r#"  @Get('%path%')
  @ApiOperation({ summary: 'List %words%' })
  async list%n%(
    @Headers('x-tenant-id') tenantId: string,
    @Query() query: %Entity%QueryDto,
  ): Promise<{ items: %Entity%[]; total: number }> {
    const { limit = 20, offset = 0, sort = 'createdAt' } = query;
    const [items, total] = await this.%entities%Service.findAndCount(tenantId, { limit, offset, sort });
    return { items, total };
  }

"#;

const CONTROLLER_GET: &str = r#"  @Get('%path%:id')
  @ApiOperation({ summary: 'Get one of the %words%' })
  async get%n%(
    @Headers('x-tenant-id') tenantId: string,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
  ): Promise<%Entity%> {
    return this.%entities%Service.findOne(tenantId, id);
  }

"#;

const CONTROLLER_POST: &str = r#"  @Post('%path%')
  @HttpCode(HttpStatus.CREATED)
  async create%n%(@Headers('x-tenant-id') tenantId: string, @Body() dto: Create%Entity%Dto): Promise<%Entity%> {
    return this.%entities%Service.create(tenantId, dto);
  }

"#;

const CONTROLLER_PATCH: &str = r#"  @Patch('%path%:id')
  async update%n%(
    @Headers('x-tenant-id') tenantId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: Update%Entity%Dto,
  ): Promise<%Entity%> {
    return this.%entities%Service.update(tenantId, id, dto);
  }

"#;

const MODULE: &str = r#"import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { %Entities%Controller } from './%kebab%.controller';
import { %Entity% } from './%kebab%.entity';
import { %Entities%Service } from './%kebab%.service';

@Module({
  imports: [TypeOrmModule.forFeature([%Entity%])],
  controllers: [%Entities%Controller],
  providers: [%Entities%Service],
  exports: [%Entities%Service],
})
export class %Entities%Module {}
"#;

fn spec_file(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(SPEC_HEAD, vars);
    let target = rng.size(2500.0);
    grow(&mut text, target, |i| {
        let block = rng.pick(&[SPEC_FIND, SPEC_CREATE]);
        fill(block, &with(vars, &[("n", suffix(i))]))
    });
    text.push_str("});\n");
    text
}

const SPEC_HEAD: &str = r#"import { NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import { %Entity%, %Entity%Status } from './%kebab%.entity';
import { %Entities%Service } from './%kebab%.service';

describe('%Entities%Service', () => {
  let service: %Entities%Service;
  const repository = {
    findOne: jest.fn(),
    findAndCount: jest.fn(),
    create: jest.fn((value: Partial<%Entity%>) => value),
    save: jest.fn(async (value: Partial<%Entity%>) => ({ id: 'generated', ...value })),
  };

  beforeEach(async () => {
    jest.resetAllMocks();
    const moduleRef = await Test.createTestingModule({
      providers: [%Entities%Service, { provide: getRepositoryToken(%Entity%), useValue: repository }],
    }).compile();
    service = moduleRef.get(%Entities%Service);
  });

"#;

const SPEC_FIND: &str = r#"  it('throws when the %entity_snake% is missing %n%', async () => {
    repository.findOne.mockResolvedValue(null);
    await expect(service.findOne('tenant-1', 'missing')).rejects.toBeInstanceOf(NotFoundException);
    expect(repository.findOne).toHaveBeenCalledWith({ where: { id: 'missing', tenantId: 'tenant-1' } });
  });

"#;

const SPEC_CREATE: &str = r#"  it('creates drafts %n%', async () => {
    repository.create.mockImplementation((value: Partial<%Entity%>) => value);
    repository.save.mockImplementation(async (value: Partial<%Entity%>) => ({ id: 'new-id', ...value }));
    const created = await service.create('tenant-1', {});
    expect(created).toMatchObject({ id: 'new-id', tenantId: 'tenant-1', status: %Entity%Status.Draft });
  });

"#;
