/// The OpenAPI 3.1 description of every route, the JSON API and the member's web pages, served
/// at `GET /openapi.yaml`. Tests check it against the router and against real responses, and
/// `scripts/test` runs schemathesis against a live server with it.
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
    session:
      type: apiKey
      in: cookie
      name: consentry_session
      description: The web session set by /auth/callback (HttpOnly, SameSite=Lax, Secure unless --insecure-cookies)
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
    MemberId:
      description: A member id as the platform names it, 1 to 256 UTF-8 bytes, no control characters
      type: string
      minLength: 1
      maxLength: 256
      pattern: "^[^\\x00-\\x1F\\x7F-\\x9F]+$"
    AsOf:
      description: Decide as of this instant (default now); a date means its first instant, UTC
      anyOf: [{ type: string, format: date-time }, { type: string, format: date }]
    BatchRequest:
      type: object
      required: [members]
      additionalProperties: false
      properties:
        as_of: { $ref: "#/components/schemas/AsOf" }
        members: { type: array, maxItems: 10000, items: { $ref: "#/components/schemas/MemberId" } }
    BatchResponse:
      type: object
      required: [as_of, decisions, policy_version]
      additionalProperties: false
      properties:
        as_of: { type: string, format: date-time }
        decisions: { type: array, items: { $ref: "#/components/schemas/Decision" } }
        policy_version: { type: string }
    SettingForm:
      type: object
      required: [csrf_token]
      properties:
        csrf_token: { type: string, description: The token from the hidden field of the page's form }
        enabled: { type: string, enum: ["on"], description: Present (checkbox ticked) to switch on, absent to switch off }
  responses:
    Problem:
      description: An RFC 9457 problem
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
    Page:
      description: A server-rendered HTML page
      content: { text/html: { schema: { type: string } } }
    SignInFirst:
      description: Not signed in; a page saying how to sign in (in demo mode, with a link to /login)
      content: { text/html: { schema: { type: string } } }
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
        - { name: cursor, in: query, schema: { type: string, pattern: "^[1-9][0-9]{0,17}$" }, description: next_cursor of the previous page }
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
        - { name: as_of, in: query, schema: { $ref: "#/components/schemas/AsOf" } }
      responses:
        "200": { description: One id per line, content: { text/plain: { schema: { type: string } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /login:
    get:
      summary: Demo mode only, the demo members to sign in as with one click
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "404": { $ref: "#/components/responses/Problem" }
  /auth/callback:
    get:
      summary: Where the platform's sign-in redirects; turns a JWT into the web session cookie
      parameters:
        - { name: token, in: query, required: true, schema: { type: string } }
      responses:
        "303":
          description: Signed in; the session cookie is set and the browser goes to /settings/data-privacy
          headers:
            Location: { schema: { type: string } }
            Set-Cookie: { schema: { type: string } }
        "401": { $ref: "#/components/responses/Page" }
  /settings/data-privacy:
    get:
      summary: The Data Privacy section, with the generative AI setting one click away
      security: [{ session: [] }]
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
  /settings/data-privacy/generative-ai:
    get:
      summary: The setting, why it is on or off, the categories, and the member's history
      description: A request with `Sec-GPC 1` records an `off` choice (channel gpc) once, where the policy honours GPC.
      security: [{ session: [] }]
      parameters:
        - { name: Sec-GPC, in: header, schema: { type: string }, description: "1 is the Global Privacy Control signal; any other value is no signal" }
        - { name: saved, in: query, schema: { type: string }, description: Shows the "saved" confirmation }
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
    post:
      summary: Record the member's choice (channel web), durably, then redirect back to the setting
      security: [{ session: [] }]
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/SettingForm" } } }
      responses:
        "303":
          description: Recorded; Location is the setting with ?saved=1
          headers:
            Location: { schema: { type: string } }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { description: Missing or wrong CSRF token; nothing recorded, content: { text/html: { schema: { type: string } } } }
        "413": { $ref: "#/components/responses/Problem" }
  /assets/settings.css:
    get:
      summary: The pages' stylesheet
      responses:
        "200": { description: CSS, content: { text/css: { schema: { type: string } } } }
  /.well-known/gpc.json:
    get:
      summary: The Global Privacy Control statement
      responses:
        "200": { description: GPC is honoured, content: { application/json: { schema: { type: object } } } }
"""#
}
