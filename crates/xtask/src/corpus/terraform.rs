//! Terraform: one module per service (S3, RDS, security groups, IAM, ECS, SQS, alarms)
//! with its variables and outputs, and per-environment stacks that call it.

use std::io;

use super::{Gen, Out, WORDS, fill, grow, service_name, snake_suffix};

/// How often a database, volume or security group is one the rules report.
const VULNERABLE: f64 = 0.2;

const ENVIRONMENTS: &[&str] = &["staging", "production"];

pub(crate) fn generate(rng: &mut Gen, out: &mut Out<'_>) -> io::Result<()> {
    let mut index = 0;
    while !out.full() {
        let service = service_name(index);
        index += 1;
        let module = format!("infra/modules/{service}");
        let vars = [("service", service.clone())];
        let main = main_tf(rng, &service);
        for (path, text) in [
            (format!("{module}/versions.tf"), VERSIONS.to_string()),
            (format!("{module}/variables.tf"), fill(VARIABLES, &vars)),
            (format!("{module}/main.tf"), main),
            (format!("{module}/outputs.tf"), fill(OUTPUTS, &vars)),
        ] {
            out.source(&path, &text)?;
        }
        for environment in ENVIRONMENTS {
            let vars = [
                ("service", service.clone()),
                ("env", environment.to_string()),
                // Staging's state is left unencrypted: what TF015 reports.
                ("encrypt", (*environment == "production").to_string()),
                (
                    "class",
                    if *environment == "production" {
                        "db.r6g.large"
                    } else {
                        "db.t4g.medium"
                    }
                    .to_string(),
                ),
            ];
            let stack = format!("infra/live/{environment}/{service}");
            for (path, template) in [
                (format!("{stack}/main.tf"), STACK),
                (format!("{stack}/terraform.tfvars"), TFVARS),
            ] {
                out.source(&path, &fill(template, &vars))?;
            }
        }
    }
    Ok(())
}

const VERSIONS: &str = r#"terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
}
"#;

const VARIABLES: &str = r#"variable "environment" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; internal traffic only."
  type        = string
  default     = "10.20.0.0/16"
}

variable "subnet_ids" {
  type = list(string)
}

variable "instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "storage_encrypted" {
  type    = bool
  default = true
}

variable "desired_count" {
  type    = number
  default = 2
}

variable "tags" {
  type    = map(string)
  default = {}
}
"#;

const OUTPUTS: &str = r#"output "bucket_arn" {
  value = aws_s3_bucket.assets.arn
}

output "queue_url" {
  value = aws_sqs_queue.events.url
}

output "service_security_group_id" {
  description = "Security group of the %service% tasks."
  value       = aws_security_group.service.id
}
"#;

const STACK: &str = r#"terraform {
  backend "s3" {
    bucket         = "acme-terraform-state"
    key            = "%env%/%service%.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "terraform-locks"
    encrypt        = %encrypt%
  }
}

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      Environment = "%env%"
      Service     = "%service%"
      ManagedBy   = "terraform"
    }
  }
}

data "aws_vpc" "main" {
  tags = { Name = "%env%-main" }
}

data "aws_subnets" "private" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.main.id]
  }

  tags = { Tier = "private" }
}

module "%service%" {
  source = "../../../modules/%service%"

  environment    = var.environment
  vpc_id         = data.aws_vpc.main.id
  subnet_ids     = data.aws_subnets.private.ids
  instance_class = var.instance_class
  desired_count  = var.desired_count
  tags           = { CostCenter = "%service%" }
}

variable "environment" {
  type = string
}

variable "instance_class" {
  type = string
}

variable "desired_count" {
  type = number
}
"#;

const TFVARS: &str = r#"environment    = "%env%"
instance_class = "%class%"
desired_count  = 3
"#;

fn main_tf(rng: &mut Gen, service: &str) -> String {
    let mut text = fill(MAIN_HEAD, &[("service", service.to_string())]);
    let target = rng.size(6000.0);
    grow(&mut text, target, |i| {
        let vulnerable = rng.chance(VULNERABLE);
        let block = match (rng.between(0, 6), vulnerable) {
            (0, false) => DATABASE,
            (0, true) => DATABASE_UNENCRYPTED,
            (1, false) => INGRESS,
            (1, true) => INGRESS_SSH_OPEN,
            (2, false) => VOLUME,
            (2, true) => VOLUME_UNENCRYPTED,
            (3, false) => BUCKET,
            (3, true) => PLATFORM_MISCONFIGURED,
            (4, false) => ROLE,
            (4, true) => ROLE_WILDCARD,
            (5, _) => TASK,
            _ => ALARMS,
        };
        let vars = [
            ("service", service.to_string()),
            ("n", format!("{}{}", rng.pick(WORDS), snake_suffix(i))),
        ];
        fill(block, &vars)
    });
    text
}

const MAIN_HEAD: &str = r#"locals {
  name = "%service%-${var.environment}"
  tags = merge(var.tags, {
    Service     = "%service%"
    Environment = var.environment
  })
  is_production = var.environment == "production"
}

resource "aws_s3_bucket" "assets" {
  bucket = "${local.name}-assets"
  tags   = local.tags
}

resource "aws_s3_bucket_server_side_encryption_configuration" "assets" {
  bucket = aws_s3_bucket.assets.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "assets" {
  bucket                  = aws_s3_bucket.assets.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_security_group" "service" {
  name        = "${local.name}-service"
  description = "Tasks of %service%"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTP from inside the VPC"
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = local.tags
}

resource "aws_sqs_queue" "events_dlq" {
  name                      = "${local.name}-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "events" {
  name                       = "${local.name}-events"
  visibility_timeout_seconds = 60
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.events_dlq.arn
    maxReceiveCount     = 5
  })
  tags = local.tags
}

"#;

const DATABASE: &str = r#"resource "aws_db_subnet_group" "%n%" {
  name       = "${local.name}-%n%"
  subnet_ids = var.subnet_ids
  tags       = local.tags
}

resource "aws_db_instance" "%n%" {
  identifier                = "${local.name}-%n%"
  engine                    = "postgres"
  engine_version            = "16.2"
  instance_class            = var.instance_class
  allocated_storage         = local.is_production ? 200 : 50
  max_allocated_storage     = local.is_production ? 1000 : 100
  db_subnet_group_name      = aws_db_subnet_group.%n%.name
  vpc_security_group_ids    = [aws_security_group.service.id]
  storage_encrypted         = var.storage_encrypted
  multi_az                  = local.is_production
  backup_retention_period   = local.is_production ? 14 : 3
  deletion_protection       = local.is_production
  skip_final_snapshot       = !local.is_production
  final_snapshot_identifier = "${local.name}-%n%-final"
  username                  = "app"
  manage_master_user_password = true
  tags                      = local.tags
}

"#;

const DATABASE_UNENCRYPTED: &str = r#"resource "aws_db_instance" "%n%" {
  identifier              = "${local.name}-%n%"
  engine                  = "postgres"
  engine_version          = "16.2"
  instance_class          = var.instance_class
  allocated_storage       = 20
  vpc_security_group_ids  = [aws_security_group.service.id]
  backup_retention_period = 1
  skip_final_snapshot     = true
  username                = "app"
  manage_master_user_password = true
  tags                    = local.tags
}

"#;

const INGRESS: &str = r#"resource "aws_vpc_security_group_ingress_rule" "%n%" {
  security_group_id = aws_security_group.service.id
  description       = "Postgres from the VPC"
  cidr_ipv4         = var.vpc_cidr
  from_port         = 5432
  to_port           = 5432
  ip_protocol       = "tcp"
}

"#;

const INGRESS_SSH_OPEN: &str = r#"resource "aws_security_group" "%n%" {
  name        = "${local.name}-%n%-debug"
  description = "Temporary debugging access"
  vpc_id      = var.vpc_id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = local.tags
}

"#;

const VOLUME: &str = r#"resource "aws_ebs_volume" "%n%" {
  availability_zone = "eu-west-1a"
  size              = local.is_production ? 500 : 100
  type              = "gp3"
  encrypted         = true
  tags              = merge(local.tags, { Name = "${local.name}-%n%" })
}

"#;

const VOLUME_UNENCRYPTED: &str = r#"resource "aws_ebs_volume" "%n%" {
  availability_zone = "eu-west-1a"
  size              = 100
  type              = "gp3"
  tags              = merge(local.tags, { Name = "${local.name}-%n%" })
}

"#;

const BUCKET: &str = r#"resource "aws_s3_bucket" "%n%" {
  bucket = "${local.name}-%n%"
  tags   = local.tags
}

resource "aws_s3_bucket_versioning" "%n%" {
  bucket = aws_s3_bucket.%n%.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "%n%" {
  bucket = aws_s3_bucket.%n%.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = local.is_production ? 90 : 14
    }
  }
}

"#;

const ROLE: &str = r#"data "aws_iam_policy_document" "%n%_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "%n%" {
  name               = "${local.name}-%n%"
  assume_role_policy = data.aws_iam_policy_document.%n%_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "%n%" {
  name = "${local.name}-%n%"
  role = aws_iam_role.%n%.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
        Resource = [aws_sqs_queue.events.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${aws_s3_bucket.assets.arn}/*"]
      },
    ]
  })
}

"#;

const ROLE_WILDCARD: &str = r#"resource "aws_iam_role_policy" "%n%" {
  name = "${local.name}-%n%"
  role = "${local.name}-ops"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
  })
}

"#;

/// What TF002, TF003, TF004, TF007, TF011, TF012, TF013, TF014 and TF016 report: a cache
/// without TLS, a public database with a password in the code, a key that never rotates,
/// a trail in one region, a public bucket ACL, an API method without authorization, a
/// listener allowing TLS 1.0, a search domain open to everyone.
const PLATFORM_MISCONFIGURED: &str = r#"resource "aws_elasticache_replication_group" "%n%" {
  replication_group_id       = "${local.name}-%n%"
  description                = "%n% cache"
  at_rest_encryption_enabled = true
  transit_encryption_enabled = false
}

resource "aws_db_instance" "%n%_reporting" {
  identifier              = "${local.name}-%n%-reporting"
  engine                  = "postgres"
  instance_class          = var.instance_class
  storage_encrypted       = true
  backup_retention_period = 7
  deletion_protection     = true
  publicly_accessible     = true
  username                = "report"
  password                = "reporting-%n%-2024"
}

resource "aws_kms_key" "%n%" {
  description = "${local.name} %n%"
}

resource "aws_cloudtrail" "%n%" {
  name                       = "${local.name}-%n%"
  s3_bucket_name             = aws_s3_bucket.assets.id
  enable_log_file_validation = true
}

resource "aws_s3_bucket_acl" "%n%" {
  bucket = aws_s3_bucket.assets.id
  acl    = "public-read"
}

resource "aws_api_gateway_method" "%n%" {
  rest_api_id   = "${local.name}-api"
  resource_id   = "%n%"
  http_method   = "POST"
  authorization = "NONE"
}

resource "aws_lb_listener" "%n%" {
  load_balancer_arn = "${local.name}-%n%"
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-2016-08"
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/%n%"
}

resource "aws_opensearch_domain" "%n%" {
  domain_name = "${local.name}-%n%"
  encrypt_at_rest {
    enabled = true
  }
  access_policies = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "es:ESHttpGet", Resource = "*" }]
  })
}

"#;

const TASK: &str = r#"resource "aws_ecs_task_definition" "%n%" {
  family                   = "${local.name}-%n%"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.is_production ? 1024 : 256
  memory                   = local.is_production ? 2048 : 512
  container_definitions = jsonencode([
    {
      name      = "%n%"
      image     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/%service%:latest"
      essential = true
      portMappings = [{ containerPort = 8080, protocol = "tcp" }]
      environment = [
        for key, value in { QUEUE_URL = aws_sqs_queue.events.url, ENVIRONMENT = var.environment } :
        { name = key, value = tostring(value) }
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = "/ecs/${local.name}"
          awslogs-region        = "eu-west-1"
          awslogs-stream-prefix = "%n%"
        }
      }
    }
  ])
  tags = local.tags
}

resource "aws_ecs_service" "%n%" {
  name            = "${local.name}-%n%"
  cluster         = "${var.environment}-cluster"
  task_definition = aws_ecs_task_definition.%n%.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.subnet_ids
    security_groups = [aws_security_group.service.id]
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

"#;

const ALARMS: &str = r#"resource "aws_cloudwatch_metric_alarm" "%n%" {
  for_each = {
    cpu    = { metric = "CPUUtilization", threshold = 80 }
    memory = { metric = "MemoryUtilization", threshold = 85 }
  }

  alarm_name          = "${local.name}-%n%-${each.key}"
  namespace           = "AWS/ECS"
  metric_name         = each.value.metric
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 3
  period              = 60
  statistic           = "Average"
  dimensions = {
    ClusterName = "${var.environment}-cluster"
  }
  tags = local.tags
}

"#;
