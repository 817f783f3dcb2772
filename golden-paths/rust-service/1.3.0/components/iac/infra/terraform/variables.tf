variable "service_name" {
  description = "DNS-safe service name: the ECR repository, the IAM role prefix and the Kubernetes service account."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.service_name))
    error_message = "service_name must be 3-40 characters of lower-case letters, digits and dashes."
  }
}

variable "team" {
  description = "Owning team (tag `team`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,62}$", var.team))
    error_message = "team must be a lower-case slug."
  }
}

variable "train" {
  description = "Agile Release Train (tag `train`); empty when none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{0,62})?$", var.train))
    error_message = "train must be empty or a lower-case slug."
  }
}

variable "organization" {
  description = "GitHub organisation or GitLab group (full path) that hosts the repository."
  type        = string
}

variable "repository" {
  description = "Repository (GitHub) or project (GitLab) name; defaults to service_name."
  type        = string
  default     = null
}

variable "ci_provider" {
  description = "CI system whose OIDC tokens may assume the CI role: github or gitlab."
  type        = string

  validation {
    condition     = contains(["github", "gitlab"], var.ci_provider)
    error_message = "ci_provider must be github or gitlab."
  }
}

variable "ci_branch" {
  description = "The only branch whose pipelines may push images and deploy."
  type        = string
  default     = "main"
}

variable "gitlab_url" {
  description = "GitLab instance URL (OIDC issuer) when ci_provider = gitlab."
  type        = string
  default     = "https://gitlab.com"
}

variable "create_oidc_provider" {
  description = "Create the account-wide IAM OIDC provider for the CI issuer. Leave false when it already exists (one per account)."
  type        = bool
  default     = false
}

variable "aws_region" {
  description = "AWS region of the image registry and the clusters."
  type        = string
}

variable "environments" {
  description = "Deployment environments; each gets its own runtime role and namespace `<service_name>-<env>`."
  type        = list(string)
  default     = ["dev", "staging", "prod"]
}

variable "eks_cluster_names" {
  description = "EKS cluster per environment (env => cluster name). Environments listed here get the runtime identity bound to their service account and a namespace-scoped deploy access entry for the CI role. Empty: roles only."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for env in keys(var.eks_cluster_names) : contains(var.environments, env)])
    error_message = "eks_cluster_names keys must be listed in environments."
  }
}

variable "ci_kubernetes_groups" {
  description = "Kubernetes RBAC groups given to the CI role's EKS access entries (for RBAC on custom resources)."
  type        = list(string)
  default     = []
}

variable "workload_identity" {
  description = "How pods get the runtime role: pod-identity (EKS Pod Identity association, no manifest change) or irsa (IAM roles for service accounts; annotate the service account with the runtime_role_arns output)."
  type        = string
  default     = "pod-identity"

  validation {
    condition     = contains(["pod-identity", "irsa"], var.workload_identity)
    error_message = "workload_identity must be pod-identity or irsa."
  }
}

variable "ecr_kms_key_arn" {
  description = "Customer-managed KMS key for ECR encryption; null uses AES256 (AWS-managed)."
  type        = string
  default     = null
}

variable "ecr_keep_images" {
  description = "Number of images kept in the repository (older ones expire)."
  type        = number
  default     = 100
}

variable "ecr_untagged_expiry_days" {
  description = "Days after which untagged images (failed or superseded pushes) expire."
  type        = number
  default     = 7
}

variable "extra_tags" {
  description = "Additional tags merged into the ownership tags."
  type        = map(string)
  default     = {}
}
