/// The OpenAPI 3.1 description of every route, served at `GET /openapi.yaml`.
/// Tests check it against the router and against real responses.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: Consentry
  version: "1"
  description: >-
    Whether a member's data may train generative AI, for the member (their own setting),
    the mobile apps and the training pipelines. Errors are RFC 9457 problem+json.
servers:
  - url: http://127.0.0.1:8080
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer, bearerFormat: JWT }
  schemas:
    Problem:
      type: object
      required: [type, title, status, detail]
      properties:
        type: { type: string }
        title: { type: string }
        status: { type: integer }
        detail: { type: string }
        pointer: { type: string, description: JSON pointer to the offending part of the body }
    Setting:
      type: object
      required: [enabled, eligible, reason, explanation, region, effective, can_change, categories, updated_at]
      additionalProperties: false
      properties:
        enabled: { type: boolean }
        eligible: { type: boolean }
        reason: { $ref: "#/components/schemas/Reason" }
        explanation: { type: string }
        region: { type: [string, "null"] }
        effective: { type: [string, "null"], format: date }
        can_change: { type: boolean }
        categories:
          type: object
          required: [used, never_used]
          additionalProperties: false
          properties:
            used: { type: array, items: { type: string } }
            never_used: { type: array, items: { type: string } }
        updated_at: { type: [string, "null"], format: date-time }
    Reason:
      type: string
      enum: [member_unknown, age_unknown, minor, region_not_in_scope, not_yet_effective, notice_pending,
             objection_upheld, objection_pending, opted_out, global_privacy_control, awaiting_consent,
             opted_in, included_by_default]
    SettingChange:
      type: object
      required: [enabled]
      additionalProperties: false
      properties:
        enabled: { type: boolean }
    HistoryPage:
      type: object
      required: [items, next_cursor]
      additionalProperties: false
      properties:
        items:
          type: array
          items:
            type: object
            required: [at, channel, enabled, recorded_at, sequence]
            additionalProperties: false
            properties:
              at: { type: string, format: date-time }
              channel: { type: string, enum: [web, ios, android, api, gpc, import] }
              enabled: { type: boolean }
              recorded_at: { type: [string, "null"], format: date-time }
              sequence: { type: [integer, "null"] }
        next_cursor: { type: [string, "null"] }
    Decision:
      type: object
      required: [member, eligible, reason, region]
      additionalProperties: false
      properties:
        member: { type: string }
        eligible: { type: boolean }
        reason: { $ref: "#/components/schemas/Reason" }
        region: { type: [string, "null"] }
    BatchRequest:
      type: object
      required: [members]
      additionalProperties: false
      properties:
        as_of: { type: string, description: RFC 3339 instant or a date }
        members: { type: array, maxItems: 10000, items: { type: string, minLength: 1 } }
    BatchResponse:
      type: object
      required: [as_of, decisions, policy_version]
      additionalProperties: false
      properties:
        as_of: { type: string, format: date-time }
        decisions: { type: array, items: { $ref: "#/components/schemas/Decision" } }
        policy_version: { type: string }
  responses:
    Problem:
      description: An RFC 9457 problem
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
paths:
  /healthz:
    get:
      summary: The process is up
      responses:
        "200": { description: Up, content: { application/json: { schema: { type: object } } } }
  /readyz:
    get:
      summary: The store can be read
      responses:
        "200": { description: Ready, content: { application/json: { schema: { type: object } } } }
        "503": { $ref: "#/components/responses/Problem" }
  /metrics:
    get:
      summary: Prometheus metrics
      responses:
        "200": { description: Prometheus text exposition, content: { text/plain: { schema: { type: string } } } }
  /openapi.yaml:
    get:
      summary: This document
      responses:
        "200": { description: OpenAPI 3.1, content: { application/yaml: { schema: { type: string } } } }
  /api/v1/me/ai-training:
    get:
      summary: The calling member's setting, and why
      security: [{ bearer: [] }]
      responses:
        "200": { description: The setting, content: { application/json: { schema: { $ref: "#/components/schemas/Setting" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
    put:
      summary: Switch the calling member's setting on or off (durable before the answer)
      security: [{ bearer: [] }]
      parameters:
        - { name: X-Consentry-Channel, in: header, schema: { type: string, enum: [ios, android, api] } }
        - { name: Idempotency-Key, in: header, schema: { type: string, maxLength: 255 } }
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/SettingChange" } } }
      responses:
        "200": { description: The new state, content: { application/json: { schema: { $ref: "#/components/schemas/Setting" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /api/v1/me/ai-training/history:
    get:
      summary: The calling member's choices, newest first
      security: [{ bearer: [] }]
      parameters:
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 500, default: 50 } }
        - { name: cursor, in: query, schema: { type: string } }
      responses:
        "200": { description: A page, content: { application/json: { schema: { $ref: "#/components/schemas/HistoryPage" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
  /api/v1/eligibility:batch:
    post:
      summary: Decisions for up to 10,000 members, in the order asked (role pipeline)
      security: [{ bearer: [] }]
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/BatchRequest" } } }
      responses:
        "200": { description: Decisions, content: { application/json: { schema: { $ref: "#/components/schemas/BatchResponse" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /api/v1/exclusions:
    get:
      summary: Excluded member ids, one per line, sorted (role pipeline)
      security: [{ bearer: [] }]
      parameters:
        - { name: as_of, in: query, schema: { type: string } }
      responses:
        "200": { description: One id per line, content: { text/plain: { schema: { type: string } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /.well-known/gpc.json:
    get:
      summary: The Global Privacy Control statement
      responses:
        "200": { description: GPC is honoured, content: { application/json: { schema: { type: object } } } }
"""#
}
