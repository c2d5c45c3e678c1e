/// The OpenAPI 3.1 description of every route, the JSON API and the member's web pages, served
/// at `GET /openapi.yaml` with `MAX_EXTENSION_DAYS` replaced by the active policy's limit. Tests check it against the router and against real responses, and
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
      name: __Host-consentry-session
      description: The web session set by /auth/callback (HttpOnly, SameSite=Lax, Secure; named consentry-session without the prefix under --insecure-cookies)
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
    Receipt:
      description: >-
        Proof that one fact is in the transparency log. Open the checkpoint with the log's verifier key (a C2SP
        signed note, Ed25519); hash the leaf's UTF-8 bytes as SHA-256(0x00 || leaf); verify the RFC 9162 inclusion
        proof of that hash at index in the tree of size leaves against the checkpoint's tree head (size must be the
        checkpoint's).
      type: object
      required: [checkpoint, format, index, leaf, proof, size]
      additionalProperties: false
      properties:
        checkpoint: { type: string, description: "The signed C2SP checkpoint covering the leaf" }
        format: { type: string, enum: [consentry-receipt/1] }
        index: { type: integer, minimum: 0 }
        leaf: { type: string, description: "The leaf's canonical JSON, exactly as hashed" }
        proof: { type: array, items: { type: string, contentEncoding: base64 } }
        size: { type: integer, minimum: 1 }
    BatchDecision:
      description: >-
        The decision at as_of (eligible, reason, region: the policy in force then, the member's facts valid then, the
        choices and objection events at or before it), and whether the member's data may go into training made now:
        usable is true only when the member is eligible at as_of and at decided_at, so an objection, opt-out or GPC
        signal made since as_of always wins; usable_reason names what excludes them (the reason at as_of when it
        excludes, else the one now), null when usable.
      type: object
      required: [member, eligible, reason, region, usable, usable_reason]
      additionalProperties: false
      properties:
        member: { type: string }
        eligible: { type: boolean }
        reason: { $ref: "#/components/schemas/Reason" }
        region: { type: [string, "null"] }
        usable: { type: boolean }
        usable_reason: { anyOf: [{ $ref: "#/components/schemas/Reason" }, { type: "null" }] }
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
      required: [as_of, decided_at, decisions, policy_version]
      additionalProperties: false
      properties:
        as_of: { type: string, format: date-time }
        decided_at: { description: "The moment usable was decided at (now)", type: string, format: date-time }
        decisions: { type: array, items: { $ref: "#/components/schemas/BatchDecision" } }
        policy_version: { description: The policy version in force at as_of, type: string }
    ObjectionEvent:
      type: object
      required: [event, at]
      properties:
        event: { type: string, enum: [received, extended, upheld, rejected, completed] }
        at: { type: string, format: date-time }
        due: { type: string, format: date-time, description: received and extended events }
        days: { type: integer, description: extended events }
        reason: { type: [string, "null"] }
    Lineage:
      type: object
      required: [datasets, member, models]
      properties:
        member: { type: string }
        datasets:
          type: array
          items:
            type: object
            required: [dataset, name, created_at, holds_member, removed_at, removed_in_version]
            properties:
              dataset: { type: string }
              name: { type: string }
              created_at: { type: string, format: date-time }
              holds_member: { type: boolean }
              removed_at: { type: [string, "null"], format: date-time }
              removed_in_version: { type: [integer, "null"] }
        models:
          type: array
          items:
            type: object
            required: [model, dataset, registered_at, trained_before_removal]
            properties:
              model: { type: string }
              dataset: { type: string }
              registered_at: { type: string, format: date-time }
              trained_before_removal: { type: boolean }
    Objection:
      description: >-
        An objection with its deadlines and full timeline. `member` is null for a non-member's
        objection (then `identifiers` says what identifies their data). `data_removal` appears on
        a single upheld or completed objection: the datasets and models that held the member.
      type: object
      required: [id, status, received_at, due, extended_due, decided_at, decision, decision_reason, timeline, member, email, identifiers]
      properties:
        id: { type: string, pattern: "^obj_[0-9a-f]{16}$" }
        status: { type: string, enum: [received, extended, upheld, rejected, completed] }
        received_at: { type: string, format: date-time }
        due: { type: string, format: date-time }
        extended_due: { type: [string, "null"], format: date-time }
        decided_at: { type: [string, "null"], format: date-time }
        decision: { type: [string, "null"], enum: [uphold, reject, null] }
        decision_reason: { type: [string, "null"] }
        timeline: { type: array, items: { $ref: "#/components/schemas/ObjectionEvent" } }
        member: { type: [string, "null"] }
        email: { type: [string, "null"] }
        identifiers: { type: [array, "null"], items: { type: string } }
        data_removal: { oneOf: [{ $ref: "#/components/schemas/Lineage" }, { type: "null" }] }
    MemberObjection:
      description: An objection as its member (or a non-member who filed it) sees it
      allOf:
        - { $ref: "#/components/schemas/Objection" }
        - type: object
          required: [email_verified]
          properties:
            email_verified:
              type: [boolean, "null"]
              description: >-
                Whether `email` is verified. Until it is, nothing about the objection is sent there; a code was sent
                to it, to give to /api/v1/me/email-verification. Null without an email.
    ObjectionList:
      type: object
      required: [items]
      additionalProperties: false
      properties:
        items: { type: array, items: { $ref: "#/components/schemas/MemberObjection" } }
    QueueItem:
      description: An objection with the days left until the deadline in force (negative when late), whether it is overdue, and the member's region
      allOf:
        - { $ref: "#/components/schemas/Objection" }
        - type: object
          required: [days_left, overdue, region]
          properties:
            days_left: { type: [integer, "null"] }
            overdue: { type: boolean }
            region: { type: [string, "null"] }
    Queue:
      type: object
      required: [items]
      additionalProperties: false
      properties:
        items: { type: array, items: { $ref: "#/components/schemas/QueueItem" } }
    ObjectionDetail:
      description: A queue item with the member's current decision, their choices newest first, and the datasets and models that hold them once upheld
      allOf:
        - { $ref: "#/components/schemas/QueueItem" }
        - type: object
          required: [member_decision, choices, data_removal]
          properties:
            member_decision:
              type: [object, "null"]
              properties:
                eligible: { type: boolean }
                reason: { $ref: "#/components/schemas/Reason" }
                explanation: { type: [string, "null"] }
            choices: { type: array, items: { type: object } }
            data_removal: { oneOf: [{ $ref: "#/components/schemas/Lineage" }, { type: "null" }] }
    ObjectionFiling:
      type: object
      additionalProperties: false
      properties:
        reason: { type: [string, "null"], maxLength: 5000, description: Optional; never required }
        email:
          description: Where to send updates (optional; blank or null means none)
          anyOf: [{ $ref: "#/components/schemas/Email" }, { type: string, maxLength: 0 }, { type: "null" }]
    Email:
      description: >-
        An address with one @ and a dotted domain, at most 254 bytes, without control characters
        (C0, DEL, C1) or white space (Unicode White_Space)
      type: string
      maxLength: 254
      pattern: "^[^@\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]+@[^@\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000.][^@\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*\\.[^@\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^@\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000.]$"
    Extension:
      description: >-
        Moves the first deadline by days or by calendar months (one of the two), at most the active policy's
        max_extension from the first deadline. Months are counted on UTC calendar dates: the same date, or the
        month's last day when that date does not exist.
      type: object
      required: [reason]
      oneOf: [{ required: [days] }, { required: [months] }]
      additionalProperties: false
      properties:
        days: { type: integer, minimum: 1, maximum: MAX_EXTENSION_DAYS, description: "At most the active policy's max_extension (at most MAX_EXTENSION_DAYS days)" }
        months: { type: integer, minimum: 1, maximum: 12 }
        reason: { type: string, minLength: 1, description: Told to the member }
    DecisionRequest:
      type: object
      required: [decision, reason]
      additionalProperties: false
      properties:
        decision: { type: string, enum: [uphold, reject] }
        reason: { type: string, minLength: 1, description: Told to the member; a rejection says how to complain to the regulator and a court }
    PublicObjectionRequest:
      type: object
      required: [email, identifiers]
      additionalProperties: false
      properties:
        email: { $ref: "#/components/schemas/Email" }
        identifiers:
          type: array
          minItems: 1
          maxItems: 20
          description: "Names, profile or post URLs: what identifies your data (blank ones are dropped; at least one must remain)"
          items: { type: string, maxLength: 500 }
          contains: { type: string, pattern: "\\S" }
        reason: { type: [string, "null"], maxLength: 5000 }
    PublicObjectionAccepted:
      type: object
      required: [request, email, expires_at, next]
      additionalProperties: false
      properties:
        request: { type: string, pattern: "^req_[0-9a-f]{16}$" }
        email: { type: string }
        expires_at: { type: string, format: date-time }
        next: { type: string }
    Verification:
      type: object
      required: [request, code]
      additionalProperties: false
      properties:
        request: { type: string, pattern: "^req_[0-9a-f]{16}$", description: "From the answer to POST /objections/public; an unknown one answers 404" }
        code: { type: string, pattern: "^[0-9]{8}$", description: The 8-digit code sent to the address }
    ObjectionForm:
      type: object
      required: [csrf_token]
      properties:
        csrf_token: { type: string }
        reason: { type: string }
        email: { type: string }
    ExtensionForm:
      type: object
      required: [csrf_token, days, reason]
      properties:
        csrf_token: { type: string }
        days: { type: string, pattern: "^[0-9]+$" }
        reason: { type: string }
    DecisionForm:
      type: object
      required: [csrf_token, decision, reason]
      properties:
        csrf_token: { type: string }
        decision: { type: string, enum: [uphold, reject] }
        reason: { type: string }
    SignInForm:
      type: object
      required: [state, token]
      properties:
        state: { type: string, description: The state /auth/sign-in sent to the platform }
        token: { type: string, description: "An access token (typ at+jwt) whose nonce claim is the nonce /auth/sign-in sent" }
    CSRFForm:
      type: object
      required: [csrf_token]
      properties:
        csrf_token: { type: string, description: The token from the hidden field of the page's form }
    SettingForm:
      type: object
      required: [csrf_token]
      properties:
        csrf_token: { type: string, description: The token from the hidden field of the page's form }
        enabled: { type: string, enum: ["on"], description: Present (checkbox ticked) to switch on, absent to switch off }
  responses:
    Receipt:
      description: The receipt, as a download (Content-Disposition attachment)
      content: { application/json: { schema: { $ref: "#/components/schemas/Receipt" } } }
    Problem:
      description: An RFC 9457 problem
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
    TooManyRequests:
      description: Over a limit (`consentry serve --limit-…`); nothing was recorded. Retry-After says in how many seconds one more is allowed
      headers:
        Retry-After: { required: true, schema: { type: integer, minimum: 1 } }
      content:
        application/problem+json:
          schema: { $ref: "#/components/schemas/Problem" }
    PageTooManyRequests:
      description: A page saying the limit was reached and that nothing was recorded; Retry-After says in how many seconds one more is allowed
      headers:
        Retry-After: { required: true, schema: { type: integer, minimum: 1 } }
      content: { text/html: { schema: { type: string } } }
    Page:
      description: A server-rendered HTML page
      content: { text/html: { schema: { type: string } } }
    SignInFirst:
      description: Not signed in; a page with a link that starts a sign-in (/auth/sign-in) coming back to this page
      content: { text/html: { schema: { type: string } } }
    PageProblem:
      description: A page saying what was wrong (a form shown again with the error, not allowed, not found, or a refused step)
      content: { text/html: { schema: { type: string } } }
    Redirect:
      description: Done; Location is the page to show next
      headers:
        Location: { schema: { type: string } }
  parameters:
    ObjectionId:
      name: id
      in: path
      required: true
      schema: { type: string }
      description: An objection id (obj_ and 16 hex digits); another member's answers 404 like an unknown one
paths:
  /log/v1/checkpoint:
    get:
      summary: The transparency log's signed checkpoint (a C2SP tlog-checkpoint in a signed note, Ed25519)
      description: >-
        Every audit entry is a leaf of one RFC 9162 Merkle tree, in order. The note holds the log's origin, its size
        and the base64 tree head, then a blank line and the signature line. 503 when the server has no log key.
      responses:
        "200": { description: The signed checkpoint, content: { text/plain: { schema: { type: string } } } }
        "503": { $ref: "#/components/responses/Problem" }
  /log/v1/proof/consistency:
    get:
      summary: The RFC 9162 consistency proof between the trees of sizes first and second
      parameters:
        - { name: first, in: query, required: true, schema: { type: integer, minimum: 0, maximum: 9223372036854775807 } }
        - { name: second, in: query, required: true, schema: { type: integer, minimum: 0, maximum: 9223372036854775807 } }
      responses:
        "200":
          description: "The proof: the hashes, base64, in the order RFC 9162 §2.1.4 defines"
          content:
            application/json:
              schema:
                type: object
                required: [first, second, proof]
                additionalProperties: false
                properties:
                  first: { type: integer }
                  second: { type: integer }
                  proof: { type: array, items: { type: string, contentEncoding: base64 } }
        "400": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
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
      description: "Open, unless the server has CONSENTRY_METRICS_TOKEN set; then only for `Authorization: Bearer <that token>`. Objection gauges are read from the store at most every 15 seconds."
      responses:
        "200": { description: Prometheus text exposition, content: { text/plain: { schema: { type: string } } } }
        "401": { $ref: "#/components/responses/Problem" }
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
        - { name: Idempotency-Key, in: header, schema: { type: string, maxLength: 255 }, description: "A retry with the same key and the same request (channel and value) returns the first answer and records nothing; the same key with another request is a 422 problem; keys are forgotten after 24 hours" }
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/SettingChange" } } }
      responses:
        "200": { description: The new state, content: { application/json: { schema: { $ref: "#/components/schemas/Setting" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "422": { $ref: "#/components/responses/Problem" }
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
      summary: Decisions at as_of for up to 10,000 members, in the order asked, each with whether it may be used now (role pipeline)
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
      summary: "The ids of members whose data may not go into training made now as of as_of: not eligible at as_of, or not now; one per line, sorted (role pipeline)"
      security: [{ bearer: [] }]
      parameters:
        - { name: as_of, in: query, schema: { $ref: "#/components/schemas/AsOf" } }
        - { name: signed, in: query, schema: { type: boolean }, description: "true: a signed list (header, count, Ed25519 signature; see the README), 503 when the server has no log key" }
      responses:
        "200": { description: One id per line, content: { text/plain: { schema: { type: string } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /api/v1/me/objections:
    post:
      summary: File an objection for the calling member; they are excluded from that moment (durable before the answer)
      description: At most 5 a day per member (configurable; 429 with Retry-After after). An Idempotency-Key makes a retry with the same reason and email return the first objection; the same key with another request is a 422 problem; keys are forgotten after 24 hours.
      security: [{ bearer: [] }]
      parameters:
        - { name: Idempotency-Key, in: header, schema: { type: string, maxLength: 255 } }
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/ObjectionFiling" } } }
      responses:
        "201":
          description: Filed
          headers:
            Location: { schema: { type: string } }
          content: { application/json: { schema: { $ref: "#/components/schemas/MemberObjection" } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "422": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "503": { $ref: "#/components/responses/Problem" }
    get:
      summary: The calling member's objections, newest first
      security: [{ bearer: [] }]
      responses:
        "200": { description: Objections, content: { application/json: { schema: { $ref: "#/components/schemas/ObjectionList" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
  /api/v1/me/objections/{id}:
    get:
      summary: One of the calling member's objections, with its timeline and, once upheld, the data removal
      security: [{ bearer: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      responses:
        "200": { description: The objection, content: { application/json: { schema: { $ref: "#/components/schemas/MemberObjection" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
  /api/v1/me/email-verification:
    post:
      summary: Verifies an address the calling member gave with an objection, with the code sent to it (five tries, a day)
      security: [{ bearer: [] }]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [code]
              additionalProperties: false
              properties:
                code: { type: string, pattern: "^[0-9]{8}$" }
      responses:
        "200":
          description: Verified; from now on that address is told how the member's objections go
          content:
            application/json:
              schema:
                type: object
                required: [email, verified]
                additionalProperties: false
                properties:
                  email: { type: string }
                  verified: { type: boolean, const: true }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
  /api/v1/me/objections/{id}/receipt:
    get:
      summary: The receipt of the latest step of one of the calling member's objections (see Receipt)
      security: [{ bearer: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      responses:
        "200": { $ref: "#/components/responses/Receipt" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /api/v1/me/ai-training/receipts/{sequence}:
    get:
      summary: The receipt of one of the calling member's choices, by its sequence in the history (see Receipt)
      security: [{ bearer: [] }]
      parameters:
        - { name: sequence, in: path, required: true, schema: { type: integer, minimum: 1, maximum: 9223372036854775807 } }
      responses:
        "200": { $ref: "#/components/responses/Receipt" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /api/v1/admin/objections:
    get:
      summary: The queue (role privacy), undecided first and soonest due first
      security: [{ bearer: [] }]
      parameters:
        - { name: status, in: query, schema: { type: string, enum: [received, extended, upheld, rejected, completed] } }
        - { name: region, in: query, schema: { type: string }, description: A region id of the active policy }
        - { name: overdue, in: query, schema: { type: string, enum: ["true", "false"] } }
      responses:
        "200": { description: The queue, content: { application/json: { schema: { $ref: "#/components/schemas/Queue" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
  /api/v1/admin/objections/{id}:
    get:
      summary: One objection with the member's current decision, choices and lineage (role privacy)
      security: [{ bearer: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      responses:
        "200": { description: The objection, content: { application/json: { schema: { $ref: "#/components/schemas/ObjectionDetail" } } } }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
  /api/v1/admin/objections/{id}/extension:
    post:
      summary: Extend the deadline once, before it passes, with the reason told to the member (role privacy)
      security: [{ bearer: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/Extension" } } }
      responses:
        "200": { description: Extended, content: { application/json: { schema: { $ref: "#/components/schemas/QueueItem" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
  /api/v1/admin/objections/{id}/decision:
    post:
      summary: Uphold or reject, with reasons (role privacy); an upheld objection whose member no dataset holds is completed at once
      security: [{ bearer: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/DecisionRequest" } } }
      responses:
        "200": { description: Decided, content: { application/json: { schema: { $ref: "#/components/schemas/QueueItem" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "401": { $ref: "#/components/responses/Problem" }
        "403": { $ref: "#/components/responses/Problem" }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
  /objections/public:
    post:
      summary: A non-member asks to object; a code is sent to the address (through the outbox and the platform's mailer)
      description: >-
        At most 5 requests a day per address (case, +tags and look-alike letters folded), 20 an hour per client address
        and 1,000 an hour from everyone together (each configurable); beyond, 429 with Retry-After.
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/PublicObjectionRequest" } } }
      responses:
        "202": { description: Code sent; verify within an hour, content: { application/json: { schema: { $ref: "#/components/schemas/PublicObjectionAccepted" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "413": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/TooManyRequests" }
        "503": { $ref: "#/components/responses/Problem" }
  /objections/public/verify:
    post:
      summary: Files the non-member's objection once the code is right (five tries, one hour)
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/Verification" } } }
      responses:
        "201": { description: Filed, content: { application/json: { schema: { $ref: "#/components/schemas/MemberObjection" } } } }
        "400": { $ref: "#/components/responses/Problem" }
        "403": { description: The code is wrong (each wrong code uses one of five tries), content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } } }
        "404": { $ref: "#/components/responses/Problem" }
        "409": { description: Expired, out of tries, or already verified, content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } } }
        "413": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /settings/data-privacy/email-verification:
    post:
      summary: Confirms the address given with an objection with the code sent to it, then shows the objection again
      security: [{ session: [] }]
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [csrf_token, code, objection]
              properties:
                csrf_token: { type: string }
                code: { type: string }
                objection: { type: string, description: The objection whose page to show after }
      responses:
        "303": { $ref: "#/components/responses/Redirect" }
        "400": { $ref: "#/components/responses/PageProblem" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { $ref: "#/components/responses/PageProblem" }
        "404": { $ref: "#/components/responses/PageProblem" }
        "409": { $ref: "#/components/responses/PageProblem" }
        "413": { $ref: "#/components/responses/Problem" }
  /settings/data-privacy/objection:
    get:
      summary: The objection form (reason optional, email prefilled) and the member's objections
      security: [{ session: [] }]
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
    post:
      summary: File the objection (CSRF), then redirect to its receipt
      security: [{ session: [] }]
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/ObjectionForm" } } }
      responses:
        "303": { $ref: "#/components/responses/Redirect" }
        "400": { $ref: "#/components/responses/PageProblem" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { $ref: "#/components/responses/PageProblem" }
        "413": { $ref: "#/components/responses/Problem" }
        "429": { $ref: "#/components/responses/PageTooManyRequests" }
  /settings/data-privacy/objections/{id}:
    get:
      summary: The receipt and status of one of the member's objections, its timeline and data removal
      security: [{ session: [] }]
      parameters:
        - { $ref: "#/components/parameters/ObjectionId" }
        - { name: filed, in: query, schema: { type: string }, description: Shows the receipt heading }
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "404": { $ref: "#/components/responses/PageProblem" }
  /settings/data-privacy/objections/{id}/receipt:
    get:
      summary: The receipt of the latest step of one of the member's objections, as a download (see Receipt)
      security: [{ session: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      responses:
        "200": { $ref: "#/components/responses/Receipt" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "404": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /settings/data-privacy/generative-ai/receipts/{sequence}:
    get:
      summary: The receipt of one of the member's choices, as a download (see Receipt)
      security: [{ session: [] }]
      parameters:
        - { name: sequence, in: path, required: true, schema: { type: integer, minimum: 1, maximum: 9223372036854775807 } }
      responses:
        "200": { $ref: "#/components/responses/Receipt" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "404": { $ref: "#/components/responses/Problem" }
        "503": { $ref: "#/components/responses/Problem" }
  /admin/objections:
    get:
      summary: The privacy team's queue, overdue rows highlighted (a privacy session)
      security: [{ session: [] }]
      parameters:
        - { name: status, in: query, schema: { type: string } }
        - { name: region, in: query, schema: { type: string } }
        - { name: overdue, in: query, schema: { type: string } }
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { $ref: "#/components/responses/PageProblem" }
  /admin/objections/{id}:
    get:
      summary: One objection, the member's setting and history, lineage, and the forms to extend, uphold or reject
      security: [{ session: [] }]
      parameters:
        - { $ref: "#/components/parameters/ObjectionId" }
        - { name: done, in: query, schema: { type: string }, description: Shows what was just done }
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { $ref: "#/components/responses/PageProblem" }
        "404": { $ref: "#/components/responses/PageProblem" }
  /admin/objections/{id}/extension:
    post:
      summary: Extend (CSRF), then redirect to the objection
      security: [{ session: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/ExtensionForm" } } }
      responses:
        "303": { $ref: "#/components/responses/Redirect" }
        "400": { $ref: "#/components/responses/PageProblem" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { $ref: "#/components/responses/PageProblem" }
        "404": { $ref: "#/components/responses/PageProblem" }
        "409": { $ref: "#/components/responses/PageProblem" }
        "413": { $ref: "#/components/responses/Problem" }
  /admin/objections/{id}/decision:
    post:
      summary: Uphold or reject (CSRF), then redirect to the objection
      security: [{ session: [] }]
      parameters: [{ $ref: "#/components/parameters/ObjectionId" }]
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/DecisionForm" } } }
      responses:
        "303": { $ref: "#/components/responses/Redirect" }
        "400": { $ref: "#/components/responses/PageProblem" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { $ref: "#/components/responses/PageProblem" }
        "404": { $ref: "#/components/responses/PageProblem" }
        "409": { $ref: "#/components/responses/PageProblem" }
        "413": { $ref: "#/components/responses/Problem" }
  /auth/sign-in:
    get:
      summary: Starts a sign-in; sends the browser to the platform's sign-in with a state and a nonce
      description: >-
        Sets a short-lived signed cookie (__Host-consentry-sign-in, 10 minutes, SameSite=None so the platform's post
        carries it) holding a random state and nonce, and redirects to CONSENTRY_SIGN_IN_URL (the demo's /login in demo
        mode) with both as query parameters.
      parameters:
        - { name: next, in: query, schema: { type: string }, description: "A path on this site to show after signing in" }
      responses:
        "303":
          description: To the platform's sign-in
          headers:
            Location: { schema: { type: string } }
            Set-Cookie: { schema: { type: string } }
        "503": { $ref: "#/components/responses/Page" }
  /login:
    get:
      summary: Demo mode only, the demo members to sign in as with one click (each posts a token with the sign-in's nonce to /auth/callback)
      parameters:
        - { name: state, in: query, schema: { type: string } }
        - { name: nonce, in: query, schema: { type: string } }
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "303": { $ref: "#/components/responses/Redirect" }
        "404": { $ref: "#/components/responses/Problem" }
  /auth/callback:
    post:
      summary: Where the platform's sign-in posts back; turns its token into the web session cookie
      description: >-
        Accepted only in the browser that began the sign-in (its sign-in cookie's state) and only for a token whose nonce
        claim is that sign-in's nonce. The session ends when the token does, at most after 8 hours.
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/SignInForm" } } }
      responses:
        "303":
          description: Signed in; the session cookie is set and the browser goes to the page it came for (/settings/... for members, /admin/objections... for role privacy)
          headers:
            Location: { schema: { type: string } }
            Set-Cookie: { schema: { type: string } }
        "401": { $ref: "#/components/responses/Page" }
        "403": { $ref: "#/components/responses/Page" }
        "413": { $ref: "#/components/responses/Problem" }
  /auth/sign-out:
    post:
      summary: Ends the session on every instance (it is kept revoked until it would have expired) and removes the cookie
      security: [{ session: [] }]
      requestBody:
        required: true
        content: { application/x-www-form-urlencoded: { schema: { $ref: "#/components/schemas/CSRFForm" } } }
      responses:
        "200": { $ref: "#/components/responses/Page" }
        "401": { $ref: "#/components/responses/SignInFirst" }
        "403": { description: Missing or wrong CSRF token; still signed in, content: { text/html: { schema: { type: string } } } }
        "413": { $ref: "#/components/responses/Problem" }
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
        "429": { $ref: "#/components/responses/PageTooManyRequests" }
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
