/// The committed JSON Schemas of the topics the inbox consumes, embedded so the binary needs no files at run time.
/// `events/file-storage/<topic>.json` is the source; a test checks each copy here equals its file.
public enum InboxSchemas {
    public static let all: [String: String] = [
        "tenant.deleted.v1": #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://filestore.local/events/file-storage/tenant.deleted.v1.json",
  "title": "tenant.deleted.v1",
  "description": "Consumed (POST /v1/inbox/{source}): the platform deleted a tenant. The inbox records it and enqueues a tenant.purge job (handled by the compliance work).",
  "type": "object",
  "required": ["tenant_id", "deleted_at"],
  "additionalProperties": true,
  "properties": {
    "tenant_id": { "type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$" },
    "deleted_at": { "type": "string", "format": "date-time" },
    "reason": { "type": "string", "maxLength": 1000 }
  }
}
"""#,
        "dsr.requested.v1": #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://filestore.local/events/file-storage/dsr.requested.v1.json",
  "title": "dsr.requested.v1",
  "description": "Consumed (POST /v1/inbox/{source}): a data-subject request (erasure or export) for one subject of a tenant. The inbox records it and enqueues a dsr.process job (handled by the compliance work).",
  "type": "object",
  "required": ["tenant_id", "request_id", "subject_id", "kind"],
  "additionalProperties": true,
  "properties": {
    "tenant_id": { "type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$" },
    "request_id": { "type": "string", "minLength": 1, "maxLength": 128 },
    "subject_id": { "type": "string", "minLength": 1, "maxLength": 256 },
    "kind": { "enum": ["erasure", "export"] },
    "due_at": { "type": "string", "format": "date-time" }
  }
}
"""#,
        "tenant.plan_changed.v1": #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://filestore.local/events/file-storage/tenant.plan_changed.v1.json",
  "title": "tenant.plan_changed.v1",
  "description": "Consumed (POST /v1/inbox/{source}): a tenant's plan changed. The inbox sets the tenant's quotas (null: unlimited) in the transaction that records the event.",
  "type": "object",
  "required": ["tenant_id", "plan", "quota_bytes", "quota_files"],
  "additionalProperties": true,
  "properties": {
    "tenant_id": { "type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$" },
    "plan": { "type": "string", "minLength": 1, "maxLength": 64 },
    "quota_bytes": { "type": ["integer", "null"], "minimum": 0 },
    "quota_files": { "type": ["integer", "null"], "minimum": 0 }
  }
}
"""#,
    ]
}
