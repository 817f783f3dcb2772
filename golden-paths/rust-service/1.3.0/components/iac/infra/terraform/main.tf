# Image registry, CI identity (OIDC web identity only) and runtime identity of the service.
# No IAM user and no access key is created anywhere: CI gets short-lived credentials from its
# OIDC token, pods get theirs from EKS Pod Identity (or IRSA).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  repository = coalesce(var.repository, var.service_name)

  tags = merge(
    {
      team        = var.team
      service     = var.service_name
      managed-by  = "terraform"
      golden-path = "rust-service"
    },
    var.train == "" ? {} : { train = var.train },
    var.extra_tags,
  )

  # OIDC issuer, audience and the exact token subjects allowed to assume the CI role.
  ci_oidc_settings = {
    github = {
      url      = "https://token.actions.githubusercontent.com"
      audience = "sts.amazonaws.com"
      # Pushes from the release branch, and deploy jobs bound to a GitHub environment (their
      # token's sub names the environment instead of the ref: restrict each environment's
      # "deployment branches" to the release branch in the repository settings).
      subjects = concat(
        ["repo:${var.organization}/${local.repository}:ref:refs/heads/${var.ci_branch}"],
        [for env in var.environments : "repo:${var.organization}/${local.repository}:environment:${env}"],
      )
    }
    gitlab = {
      url = var.gitlab_url
      # The `aud` of the job's `id_tokens:` entry must be this URL.
      audience = var.gitlab_url
      subjects = ["project_path:${var.organization}/${local.repository}:ref_type:branch:ref:${var.ci_branch}"]
    }
  }
  ci_oidc      = local.ci_oidc_settings[var.ci_provider]
  ci_oidc_host = replace(local.ci_oidc.url, "/^https://|/$/", "")

  oidc_provider_arn = (var.create_oidc_provider
    ? aws_iam_openid_connect_provider.ci[0].arn
  : data.aws_iam_openid_connect_provider.ci[0].arn)

  namespaces = { for env in var.environments : env => "${var.service_name}-${env}" }

  # IRSA needs the cluster's OIDC issuer, so only environments with a cluster get a role there.
  runtime_envs = var.workload_identity == "irsa" ? keys(var.eks_cluster_names) : var.environments

  # One EKS access entry per cluster for the CI role, scoped to this service's namespaces.
  ci_cluster_namespaces = {
    for cluster in distinct(values(var.eks_cluster_names)) :
    cluster => [for env, c in var.eks_cluster_names : local.namespaces[env] if c == cluster]
  }
}

# ---------------------------------------------------------------------------------------------
# Image registry
# ---------------------------------------------------------------------------------------------

resource "aws_ecr_repository" "service" {
  name                 = var.service_name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.ecr_kms_key_arn == null ? "AES256" : "KMS"
    kms_key         = var.ecr_kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "service" {
  repository = aws_ecr_repository.service.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after ${var.ecr_untagged_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.ecr_untagged_expiry_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last ${var.ecr_keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# ---------------------------------------------------------------------------------------------
# CI identity: OIDC web identity only, restricted to this repository's release branch
# ---------------------------------------------------------------------------------------------

# The OIDC provider is account-wide (one per issuer URL): look it up, or create it once.
data "aws_iam_openid_connect_provider" "ci" {
  count = var.create_oidc_provider ? 0 : 1
  url   = local.ci_oidc.url
}

resource "aws_iam_openid_connect_provider" "ci" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = local.ci_oidc.url
  client_id_list = [local.ci_oidc.audience]
}

data "aws_iam_policy_document" "ci_trust" {
  statement {
    sid     = "CiOidcWebIdentityOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.ci_oidc_host}:aud"
      values   = [local.ci_oidc.audience]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.ci_oidc_host}:sub"
      values   = local.ci_oidc.subjects
    }
  }
}

resource "aws_iam_role" "ci" {
  name                 = "${var.service_name}-ci"
  description          = "CI of ${var.organization}/${local.repository}: push to ECR ${var.service_name}, deploy to its namespaces"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "ci_permissions" {
  statement {
    sid       = "EcrLogin"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }

  statement {
    sid    = "EcrPushThisRepositoryOnly"
    effect = "Allow"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.service.arn]
  }

  dynamic "statement" {
    for_each = var.ecr_kms_key_arn == null ? [] : [var.ecr_kms_key_arn]
    content {
      sid       = "EcrKmsKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  # `aws eks update-kubeconfig` for the deploy job; Kubernetes RBAC is granted below.
  dynamic "statement" {
    for_each = length(var.eks_cluster_names) > 0 ? [1] : []
    content {
      sid     = "EksDescribeDeployClusters"
      effect  = "Allow"
      actions = ["eks:DescribeCluster"]
      resources = [
        for cluster in distinct(values(var.eks_cluster_names)) :
        "arn:${local.partition}:eks:${var.aws_region}:${local.account_id}:cluster/${cluster}"
      ]
    }
  }
}

resource "aws_iam_role_policy" "ci" {
  name   = "${var.service_name}-ci"
  role   = aws_iam_role.ci.id
  policy = data.aws_iam_policy_document.ci_permissions.json
}

# Kubernetes access for the deploy job: edit rights in this service's namespaces only.
# Custom resources (Rollout, ServiceMonitor, PrometheusRule) need their aggregated edit
# ClusterRoles in the cluster, or extra RBAC bound to the groups in ci_kubernetes_groups.
resource "aws_eks_access_entry" "ci" {
  for_each          = local.ci_cluster_namespaces
  cluster_name      = each.key
  principal_arn     = aws_iam_role.ci.arn
  type              = "STANDARD"
  kubernetes_groups = var.ci_kubernetes_groups
}

resource "aws_eks_access_policy_association" "ci" {
  for_each      = local.ci_cluster_namespaces
  cluster_name  = each.key
  principal_arn = aws_iam_role.ci.arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"

  access_scope {
    type       = "namespace"
    namespaces = each.value
  }

  depends_on = [aws_eks_access_entry.ci]
}

# ---------------------------------------------------------------------------------------------
# Runtime identity of the pods: one role per environment, bound to the service account
# `<service_name>` in namespace `<service_name>-<env>`. It has no permissions yet: attach
# least-privilege policies (aws_iam_role_policy) when the service needs AWS APIs.
# ---------------------------------------------------------------------------------------------

data "aws_eks_cluster" "irsa" {
  for_each = var.workload_identity == "irsa" ? toset(distinct(values(var.eks_cluster_names))) : toset([])
  name     = each.value
}

data "aws_iam_policy_document" "runtime_trust" {
  for_each = toset(local.runtime_envs)

  dynamic "statement" {
    for_each = var.workload_identity == "pod-identity" ? [1] : []
    content {
      sid     = "EksPodIdentity"
      effect  = "Allow"
      actions = ["sts:AssumeRole", "sts:TagSession"]

      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }

      # Session tags set by EKS Pod Identity: only this namespace's service account (and, when
      # known, this environment's cluster) may use the role.
      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/kubernetes-namespace"
        values   = [local.namespaces[each.key]]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/kubernetes-service-account"
        values   = [var.service_name]
      }

      dynamic "condition" {
        for_each = contains(keys(var.eks_cluster_names), each.key) ? [var.eks_cluster_names[each.key]] : []
        content {
          test     = "StringEquals"
          variable = "aws:RequestTag/eks-cluster-name"
          values   = [condition.value]
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.workload_identity == "irsa" ? [replace(data.aws_eks_cluster.irsa[var.eks_cluster_names[each.key]].identity[0].oidc[0].issuer, "https://", "")] : []
    content {
      sid     = "EksIrsaWebIdentity"
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/${statement.value}"]
      }

      condition {
        test     = "StringEquals"
        variable = "${statement.value}:aud"
        values   = ["sts.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "${statement.value}:sub"
        values   = ["system:serviceaccount:${local.namespaces[each.key]}:${var.service_name}"]
      }
    }
  }
}

resource "aws_iam_role" "runtime" {
  for_each             = toset(local.runtime_envs)
  name                 = "${var.service_name}-${each.key}-runtime"
  description          = "Runtime identity of ${var.service_name} pods in ${local.namespaces[each.key]}"
  assume_role_policy   = data.aws_iam_policy_document.runtime_trust[each.key].json
  max_session_duration = 3600
  tags                 = { environment = each.key }
}

resource "aws_eks_pod_identity_association" "runtime" {
  for_each        = var.workload_identity == "pod-identity" ? var.eks_cluster_names : {}
  cluster_name    = each.value
  namespace       = local.namespaces[each.key]
  service_account = var.service_name
  role_arn        = aws_iam_role.runtime[each.key].arn
}
