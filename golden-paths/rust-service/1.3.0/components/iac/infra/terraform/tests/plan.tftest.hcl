# Plan-only checks of the identities: no AWS call is made (data sources are overridden), but the
# provider still wants some credentials: run offline with dummy ones, e.g.
#   AWS_ACCESS_KEY_ID=dummy AWS_SECRET_ACCESS_KEY=dummy terraform test
# (after `terraform init -backend=false`).

provider "aws" {
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}
override_data {
  target = data.aws_partition.current
  values = { partition = "aws" }
}
override_data {
  target = data.aws_iam_openid_connect_provider.ci
  values = { arn = "arn:aws:iam::123456789012:oidc-provider/issuer" }
}
override_data {
  target = data.aws_eks_cluster.irsa
  values = { identity = [{ oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC" }] }] }
}

# Every input is set here, so the values in terraform.tfvars do not change the outcome.
variables {
  service_name         = "payments-api"
  team                 = "payments"
  train                = ""
  organization         = "acme"
  repository           = null
  ci_branch            = "main"
  aws_region           = "eu-west-1"
  environments         = ["dev", "staging", "prod"]
  create_oidc_provider = false
  eks_cluster_names    = {}
  workload_identity    = "pod-identity"
  ecr_kms_key_arn      = null
}

run "github" {
  command = plan
  variables {
    ci_provider       = "github"
    eks_cluster_names = { dev = "nonprod", staging = "nonprod", prod = "prod" }
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/payments-api:ref:refs/heads/main", "repo:acme/payments-api:environment:dev", "repo:acme/payments-api:environment:staging", "repo:acme/payments-api:environment:prod"]
    error_message = "github sub"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "github aud"
  }
  assert {
    condition     = aws_iam_role.ci.name == "payments-api-ci"
    error_message = "role name"
  }
  assert {
    condition = (
      length(jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement) == 1
      && jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement[0].Action == "sts:AssumeRoleWithWebIdentity"
      && jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement[0].Principal.Federated == "arn:aws:iam::123456789012:oidc-provider/issuer"
    )
    error_message = "the CI role must be assumable only with the CI's OIDC web identity"
  }
  assert {
    condition     = aws_ecr_repository.service.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.service.image_scanning_configuration[0].scan_on_push
    error_message = "ecr"
  }
  assert {
    condition     = local.ci_cluster_namespaces == { nonprod = ["payments-api-dev", "payments-api-staging"], prod = ["payments-api-prod"] }
    error_message = "namespaces ${jsonencode(local.ci_cluster_namespaces)}"
  }
  assert {
    condition     = length(aws_eks_pod_identity_association.runtime) == 3 && length(aws_iam_role.runtime) == 3
    error_message = "pod identity"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.runtime_trust["prod"].json).Statement[0].Condition.StringEquals["aws:RequestTag/kubernetes-namespace"] == "payments-api-prod"
    error_message = "runtime trust ${data.aws_iam_policy_document.runtime_trust["prod"].json}"
  }
  assert {
    condition     = local.tags["team"] == "payments" && !contains(keys(local.tags), "train")
    error_message = "tags"
  }
}

run "gitlab_irsa" {
  command = plan
  variables {
    ci_provider       = "gitlab"
    train             = "checkout"
    workload_identity = "irsa"
    eks_cluster_names = { prod = "prod" }
    ecr_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/abc"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement[0].Condition.StringEquals["gitlab.com:sub"] == "project_path:acme/payments-api:ref_type:branch:ref:main"
    error_message = "gitlab sub ${data.aws_iam_policy_document.ci_trust.json}"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.ci_trust.json).Statement[0].Condition.StringEquals["gitlab.com:aud"] == "https://gitlab.com"
    error_message = "gitlab aud"
  }
  assert {
    condition     = keys(aws_iam_role.runtime) == ["prod"] && length(aws_eks_pod_identity_association.runtime) == 0
    error_message = "irsa roles"
  }
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.runtime_trust["prod"].json).Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:payments-api-prod:payments-api"
    error_message = "irsa trust ${data.aws_iam_policy_document.runtime_trust["prod"].json}"
  }
  assert {
    condition     = aws_ecr_repository.service.encryption_configuration[0].encryption_type == "KMS" && local.tags["train"] == "checkout"
    error_message = "kms/train"
  }
}
