terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.81 made thumbprint_list optional on aws_iam_openid_connect_provider; stay on major 5.
      version = "~> 5.81"
    }
  }

  # Partial configuration: nothing environment-specific or secret lives here. Pass the state
  # bucket, key, region and lock table at init time (see backend.hcl.example):
  #   terraform init -backend-config=backend.hcl
  # Credentials come from the caller's environment (SSO profile or CI OIDC role), never from files.
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  # Every taggable resource gets the ownership tags.
  default_tags {
    tags = local.tags
  }
}
