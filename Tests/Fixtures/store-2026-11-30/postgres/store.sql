--
-- PostgreSQL database dump
--

\restrict owd3ZFpzMUA3F8v9EpOcLcfE4oD1FJ3VMZVBhqDIi9UZqTLzk5ChkXia1TbeYck

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: consentry_refuse_change(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.consentry_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;


--
-- Name: dataset_members_guard(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.dataset_members_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.removed_version IS NOT NULL OR NEW.removed_version IS NULL
       OR NEW.dataset_key <> OLD.dataset_key OR NEW.member_key <> OLD.member_key THEN
        RAISE EXCEPTION 'a member is removed from a dataset once, and never restored' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;


--
-- Name: dataset_versions_guard(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.dataset_versions_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.state <> 'pending' OR NEW.state = 'pending' OR NEW.manifest <> OLD.manifest
       OR NEW.records <> OLD.records OR NEW.version <> OLD.version OR NEW.dataset_id <> OLD.dataset_id THEN
        RAISE EXCEPTION 'only a pending dataset version may be settled, once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;


--
-- Name: objection_requests_guard(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.objection_requests_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.email <> OLD.email OR NEW.identifiers <> OLD.identifiers
       OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
       OR OLD.objection_id IS NOT NULL OR NEW.attempts < OLD.attempts THEN
        RAISE EXCEPTION 'an objection request only counts attempts, until verified' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;


--
-- Name: outbox_guard(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.outbox_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.type <> OLD.type OR NEW.subject <> OLD.subject
       OR NEW.payload <> OLD.payload OR NEW.created_at <> OLD.created_at OR NEW.sequence <> OLD.sequence
       OR OLD.delivered_at IS NOT NULL THEN
        RAISE EXCEPTION 'an outbox event is fixed once written, and final once delivered' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit_head; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_head (
    singleton integer NOT NULL,
    sequence bigint NOT NULL,
    hash text NOT NULL,
    CONSTRAINT audit_head_singleton_check CHECK ((singleton = 1))
);


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    sequence bigint NOT NULL,
    recorded_at bigint NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    details text NOT NULL,
    previous_hash text NOT NULL,
    hash text NOT NULL,
    CONSTRAINT audit_log_hash_check CHECK ((length(hash) = 64)),
    CONSTRAINT audit_log_previous_hash_check CHECK ((length(previous_hash) = 64))
);


--
-- Name: consent_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consent_events (
    sequence bigint NOT NULL,
    member_key bigint NOT NULL,
    choice text NOT NULL,
    channel text NOT NULL,
    at bigint NOT NULL,
    actor text NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT consent_events_channel_check CHECK ((channel = ANY (ARRAY['web'::text, 'ios'::text, 'android'::text, 'api'::text, 'gpc'::text, 'import'::text]))),
    CONSTRAINT consent_events_check CHECK (((channel <> 'gpc'::text) OR (choice = 'off'::text))),
    CONSTRAINT consent_events_choice_check CHECK ((choice = ANY (ARRAY['on'::text, 'off'::text])))
);


--
-- Name: consent_events_sequence_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.consent_events_sequence_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: consent_events_sequence_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.consent_events_sequence_seq OWNED BY public.consent_events.sequence;


--
-- Name: dataset_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dataset_members (
    dataset_key bigint NOT NULL,
    member_key bigint NOT NULL,
    removed_version integer
);


--
-- Name: dataset_removals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dataset_removals (
    dataset_key bigint NOT NULL,
    version integer NOT NULL,
    member_key bigint NOT NULL
);


--
-- Name: dataset_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dataset_versions (
    dataset_id text NOT NULL,
    version integer NOT NULL,
    state text NOT NULL,
    created_at bigint NOT NULL,
    manifest text NOT NULL,
    manifest_sha256 text NOT NULL,
    records bigint NOT NULL,
    removed_members bigint NOT NULL,
    CONSTRAINT dataset_versions_manifest_sha256_check CHECK ((length(manifest_sha256) = 64)),
    CONSTRAINT dataset_versions_records_check CHECK ((records >= 0)),
    CONSTRAINT dataset_versions_removed_members_check CHECK ((removed_members >= 0)),
    CONSTRAINT dataset_versions_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'committed'::text, 'abandoned'::text]))),
    CONSTRAINT dataset_versions_version_check CHECK ((version >= 1))
);


--
-- Name: datasets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.datasets (
    key bigint NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    location text NOT NULL,
    member_field text NOT NULL,
    created_at bigint NOT NULL,
    as_of bigint NOT NULL,
    policy_version text,
    policy_sha256 text,
    actor text NOT NULL,
    CONSTRAINT datasets_kind_check CHECK ((kind = ANY (ARRAY['export'::text, 'filter'::text]))),
    CONSTRAINT datasets_location_check CHECK ((substr(location, 1, 1) = '/'::text)),
    CONSTRAINT datasets_member_field_check CHECK ((length(member_field) > 0)),
    CONSTRAINT datasets_name_check CHECK ((length(name) > 0))
);


--
-- Name: datasets_key_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.datasets_key_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: datasets_key_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.datasets_key_seq OWNED BY public.datasets.key;


--
-- Name: idempotency_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency_keys (
    key text NOT NULL,
    kind text NOT NULL,
    reference text NOT NULL,
    created_at bigint NOT NULL,
    CONSTRAINT idempotency_keys_key_check CHECK ((length(key) = 64)),
    CONSTRAINT idempotency_keys_kind_check CHECK ((kind = ANY (ARRAY['choice'::text, 'objection'::text])))
);


--
-- Name: members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.members (
    member_key bigint NOT NULL,
    id text NOT NULL,
    birth_date text,
    country text NOT NULL,
    notified_at bigint,
    data text DEFAULT '{}'::text NOT NULL,
    updated_at bigint NOT NULL,
    CONSTRAINT members_birth_date_check CHECK (((birth_date IS NULL) OR (birth_date ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'::text))),
    CONSTRAINT members_country_check CHECK ((country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT members_id_check CHECK (((octet_length(id) >= 1) AND (octet_length(id) <= 256)))
);


--
-- Name: members_member_key_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.members_member_key_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: members_member_key_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.members_member_key_seq OWNED BY public.members.member_key;


--
-- Name: model_datasets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.model_datasets (
    model text NOT NULL,
    dataset_id text NOT NULL,
    dataset_version integer NOT NULL
);


--
-- Name: models; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.models (
    name text NOT NULL,
    registered_at bigint NOT NULL,
    actor text NOT NULL,
    CONSTRAINT models_name_check CHECK ((length(name) > 0))
);


--
-- Name: objection_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.objection_events (
    objection_id text NOT NULL,
    "position" integer NOT NULL,
    kind text NOT NULL,
    at bigint NOT NULL,
    days integer,
    due bigint,
    outcome text,
    reason text,
    actor text NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT objection_events_check CHECK (((kind = 'received'::text) = ("position" = 0))),
    CONSTRAINT objection_events_check1 CHECK (((kind <> 'extended'::text) OR ((days > 0) AND (due IS NOT NULL) AND (length(reason) > 0)))),
    CONSTRAINT objection_events_check2 CHECK (((kind <> 'decided'::text) OR ((outcome IS NOT NULL) AND (length(reason) > 0)))),
    CONSTRAINT objection_events_check3 CHECK (((kind <> 'completed'::text) OR (length(reason) > 0))),
    CONSTRAINT objection_events_kind_check CHECK ((kind = ANY (ARRAY['received'::text, 'extended'::text, 'decided'::text, 'completed'::text]))),
    CONSTRAINT objection_events_outcome_check CHECK ((outcome = ANY (ARRAY['uphold'::text, 'reject'::text]))),
    CONSTRAINT objection_events_position_check CHECK (("position" >= 0))
);


--
-- Name: objection_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.objection_requests (
    id text NOT NULL,
    email text NOT NULL,
    identifiers text NOT NULL,
    reason text,
    code_sha256 text NOT NULL,
    created_at bigint NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    objection_id text,
    CONSTRAINT objection_requests_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT objection_requests_code_sha256_check CHECK ((length(code_sha256) = 64)),
    CONSTRAINT objection_requests_email_check CHECK (((length(email) >= 3) AND (length(email) <= 254)))
);


--
-- Name: objections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.objections (
    id text NOT NULL,
    member_key bigint,
    received_at bigint NOT NULL,
    contact_email text,
    identifiers text,
    CONSTRAINT objections_check CHECK (((member_key IS NOT NULL) OR ((contact_email IS NOT NULL) AND (identifiers IS NOT NULL)))),
    CONSTRAINT objections_contact_email_check CHECK (((contact_email IS NULL) OR ((length(contact_email) >= 3) AND (length(contact_email) <= 254))))
);


--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    sequence bigint NOT NULL,
    id text NOT NULL,
    type text NOT NULL,
    subject text NOT NULL,
    payload text NOT NULL,
    created_at bigint NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at bigint,
    delivered_at bigint,
    last_error text,
    CONSTRAINT outbox_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT outbox_type_check CHECK ((length(type) > 0))
);


--
-- Name: outbox_sequence_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.outbox_sequence_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: outbox_sequence_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.outbox_sequence_seq OWNED BY public.outbox.sequence;


--
-- Name: policy_activations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.policy_activations (
    id bigint NOT NULL,
    version text NOT NULL,
    activated_at bigint NOT NULL,
    actor text NOT NULL
);


--
-- Name: policy_activations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.policy_activations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: policy_activations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.policy_activations_id_seq OWNED BY public.policy_activations.id;


--
-- Name: policy_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.policy_versions (
    version text NOT NULL,
    sha256 text NOT NULL,
    canonical_json text NOT NULL,
    created_at bigint NOT NULL,
    CONSTRAINT policy_versions_sha256_check CHECK ((length(sha256) = 64)),
    CONSTRAINT policy_versions_version_check CHECK ((length(version) > 0))
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: consent_events sequence; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consent_events ALTER COLUMN sequence SET DEFAULT nextval('public.consent_events_sequence_seq'::regclass);


--
-- Name: datasets key; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.datasets ALTER COLUMN key SET DEFAULT nextval('public.datasets_key_seq'::regclass);


--
-- Name: members member_key; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.members ALTER COLUMN member_key SET DEFAULT nextval('public.members_member_key_seq'::regclass);


--
-- Name: outbox sequence; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox ALTER COLUMN sequence SET DEFAULT nextval('public.outbox_sequence_seq'::regclass);


--
-- Name: policy_activations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.policy_activations ALTER COLUMN id SET DEFAULT nextval('public.policy_activations_id_seq'::regclass);


--
-- Data for Name: audit_head; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_head VALUES (1, 27, '90cd9805fd0d57aa18cb759a95b100e25f1b73075b5de26150f399f07c614ddd');


--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_log VALUES (1, 1796081969983109, 'cli:root', 'policy_applied', '2025-11-03', '{"sha256":"5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84"}', '0000000000000000000000000000000000000000000000000000000000000000', '33bbf8940432781a3be532a04f9f8f4efcf31cd987acb9e47df61f975c036d84');
INSERT INTO public.audit_log VALUES (2, 1796081970048460, 'cli:root', 'member_imported', 'urn:li:member:1001', '{"record_sha256":"2e0fb15f0e21fce91eeb429cdbcb84e93598d7f2cb6a499fdf4624a9007cd80d","source":"examples/members.jsonl"}', '33bbf8940432781a3be532a04f9f8f4efcf31cd987acb9e47df61f975c036d84', '3d3e4228c1766d82ee4c8aa750954d502860ad0fb3cd943032bc0d55bc749db1');
INSERT INTO public.audit_log VALUES (3, 1796081970048460, 'cli:root', 'member_imported', 'urn:li:member:1002', '{"record_sha256":"4e030d0defdbbabd94515c288cf9f5b0226f725ae78e741857062dc3601d7c92","source":"examples/members.jsonl"}', '3d3e4228c1766d82ee4c8aa750954d502860ad0fb3cd943032bc0d55bc749db1', 'fe5805fc68782fb736aec26b4417e151b36899add17d271afb0e8bd5f33a31a9');
INSERT INTO public.audit_log VALUES (4, 1796081970048460, 'cli:root', 'member_imported', 'urn:li:member:1003', '{"record_sha256":"fa71896ab4ae87b4741006911f7585c6cb164a93b4ccfa206559fdc1f994254f","source":"examples/members.jsonl"}', 'fe5805fc68782fb736aec26b4417e151b36899add17d271afb0e8bd5f33a31a9', '1bd595f17964e865f979619f3acf63c1fce002d91041652ce76b792ddcd3b698');
INSERT INTO public.audit_log VALUES (5, 1796081970048460, 'cli:root', 'member_imported', 'urn:li:member:1004', '{"record_sha256":"4a8a0de0c874d6f1d4745ce3719aa9e1a2a2045f0473319c1a7859e4149f742c","source":"examples/members.jsonl"}', '1bd595f17964e865f979619f3acf63c1fce002d91041652ce76b792ddcd3b698', '8f36ed8bbf59e058ee23d2281ceb873553bdcf5bd5e0f056ba8c8a4c2fb0d133');
INSERT INTO public.audit_log VALUES (6, 1796081970048460, 'cli:root', 'member_imported', 'urn:li:member:1005', '{"record_sha256":"708f4f65b51443a1a84c093d9ecb292e70c56866e854f5fe27dbc6c4e0fc52fe","source":"examples/members.jsonl"}', '8f36ed8bbf59e058ee23d2281ceb873553bdcf5bd5e0f056ba8c8a4c2fb0d133', '761d4e4084987e301d5702b66d7b3c20459ceaae11cefdc9a25d9793d0f71af4');
INSERT INTO public.audit_log VALUES (7, 1796081970048460, 'cli:root', 'member_imported', 'urn:li:member:1006', '{"record_sha256":"1b22d4e5a63e5d2ec3cfa2e0711ce94055ba85b5fa15aa5b15e013975edae257","source":"examples/members.jsonl"}', '761d4e4084987e301d5702b66d7b3c20459ceaae11cefdc9a25d9793d0f71af4', '78f0ad4b91cc959f18e66cf14703dfb52bb9da9bc50d20e5b34836e54ea9957a');
INSERT INTO public.audit_log VALUES (8, 1796081970113733, 'import:consents.jsonl', 'choice_recorded', 'urn:li:member:1001', '{"at":"2025-10-01T12:00:00Z","channel":"web","choice":"off"}', '78f0ad4b91cc959f18e66cf14703dfb52bb9da9bc50d20e5b34836e54ea9957a', 'c5ae4e5713bfff36c2f8ea90523d077d6d5e430be1557728643176f084e2d4b0');
INSERT INTO public.audit_log VALUES (9, 1796081970113733, 'import:consents.jsonl', 'choice_recorded', 'urn:li:member:1003', '{"at":"2025-11-05T08:30:00Z","channel":"android","choice":"on"}', 'c5ae4e5713bfff36c2f8ea90523d077d6d5e430be1557728643176f084e2d4b0', 'c51fd9d8998daa8de278af7296521e0aa5ef043dafc39651a457fb0978188908');
INSERT INTO public.audit_log VALUES (10, 1796081970113733, 'import:consents.jsonl', 'choice_recorded', 'urn:li:member:1004', '{"at":"2025-11-20T18:00:00Z","channel":"gpc","choice":"off"}', 'c51fd9d8998daa8de278af7296521e0aa5ef043dafc39651a457fb0978188908', '95fbc233b1bdd844180e20901a23742b63f0e1453ce1420b12332f1d59dd2a18');
INSERT INTO public.audit_log VALUES (11, 1796081970498701, 'cli:root', 'choice_recorded', 'urn:li:member:1001', '{"at":"2026-11-30T23:39:30.474729Z","channel":"ios","choice":"on"}', '95fbc233b1bdd844180e20901a23742b63f0e1453ce1420b12332f1d59dd2a18', 'd811ca554f05b4143ec785ce8400b9849b6e92bbc47d6b2a2098e4d64b014087');
INSERT INTO public.audit_log VALUES (12, 1796081970582074, 'cli:root', 'objection_filed', 'obj_b97e2f9ea1d88934', '{"at":"2026-11-30T23:39:30.581779Z","due":"2026-12-30T23:39:30.581779Z","member":"urn:li:member:1004"}', 'd811ca554f05b4143ec785ce8400b9849b6e92bbc47d6b2a2098e4d64b014087', '6c0b8fb36066ce5936471e17baacfb3fb7ea000aac1873a24952160f1984a88f');
INSERT INTO public.audit_log VALUES (13, 1796081970684640, 'cli:root', 'objection_extended', 'obj_b97e2f9ea1d88934', '{"at":"2026-11-30T23:39:30.684423Z","days":"30","due":"2027-01-29T23:39:30.581779Z","member":"urn:li:member:1004","reason":"We are locating archived copies"}', '6c0b8fb36066ce5936471e17baacfb3fb7ea000aac1873a24952160f1984a88f', 'e1800419a0ab52783e32528fececd825ddde3798ff03fd3dd25486c8c34032d2');
INSERT INTO public.audit_log VALUES (14, 1796081970770395, 'cli:root', 'objection_decided', 'obj_b97e2f9ea1d88934', '{"at":"2026-11-30T23:39:30.770223Z","member":"urn:li:member:1004","outcome":"uphold","reason":"Upheld: your data will no longer be used"}', 'e1800419a0ab52783e32528fececd825ddde3798ff03fd3dd25486c8c34032d2', '1a90a694280662ef3fb6f9996e10d8f9e8567ee39476b610b2e204040824a3ed');
INSERT INTO public.audit_log VALUES (15, 1796081970783703, 'cli:root', 'objection_completed', 'obj_b97e2f9ea1d88934', '{"at":"2026-11-30T23:39:30.783703Z","member":"urn:li:member:1004","reason":"No registered dataset holds this member''s data."}', '1a90a694280662ef3fb6f9996e10d8f9e8567ee39476b610b2e204040824a3ed', '5aac7823fc29e290c194b729a55b40aa288a84c1b87bd17edee69ba919c1d0b0');
INSERT INTO public.audit_log VALUES (16, 1796081971443134, 'cli:root', 'dataset_registered', 'ds_20261130_471c0055', '{"as_of":"2026-11-30T23:39:31.408014Z","kind":"export","location":"/tmp/tmp.fKHe6bqbm9/export","manifest_sha256":"c0a9251eb53d58ba45053532361665a3bb7cc564aa8792b3573b138ea3c041d3","members":"2","name":"walkthrough","policy_version":"2025-11-03","records":"2"}', '5aac7823fc29e290c194b729a55b40aa288a84c1b87bd17edee69ba919c1d0b0', 'cd9ccc9dfbf8e8e7a87b4755fe41f673feef608ae24d2b48d68e2bc3a6f0bbb1');
INSERT INTO public.audit_log VALUES (17, 1796081971552934, 'cli:root', 'dataset_registered', 'ds_20261130_8b90c05d', '{"as_of":"2026-11-30T23:39:31.519964Z","kind":"filter","location":"/tmp/tmp.fKHe6bqbm9/posts.jsonl","manifest_sha256":"91622e864e07358bef8cb829f3dce9ea2f51ae8941757d4a84bbcc774865836f","members":"2","name":"posts","policy_version":"2025-11-03","records":"2"}', 'cd9ccc9dfbf8e8e7a87b4755fe41f673feef608ae24d2b48d68e2bc3a6f0bbb1', '3545d29e8e569b9e8e945f09d264d8a58e60a81de80da1bb36cf8eed0ca56dbf');
INSERT INTO public.audit_log VALUES (18, 1796081971775808, 'cli:root', 'model_registered', 'assistant-v1', '{"datasets":"ds_20261130_471c0055@1,ds_20261130_8b90c05d@1"}', '3545d29e8e569b9e8e945f09d264d8a58e60a81de80da1bb36cf8eed0ca56dbf', '4d5e49a3bfb7b9b5eb2dc5670d1a4d73f5c541eaf82ab59964d9bf12dfda919f');
INSERT INTO public.audit_log VALUES (19, 1796081971863312, 'cli:root', 'objection_filed', 'obj_4b47d5f7f7733114', '{"at":"2026-11-30T23:39:31.86307Z","due":"2026-12-30T23:39:31.86307Z","member":"urn:li:member:1003"}', '4d5e49a3bfb7b9b5eb2dc5670d1a4d73f5c541eaf82ab59964d9bf12dfda919f', '935412f558ab10066f4dd96ea1bfddcba84f0ccc392db03d5a149c16e074624c');
INSERT INTO public.audit_log VALUES (20, 1796081971951363, 'cli:root', 'objection_decided', 'obj_4b47d5f7f7733114', '{"at":"2026-11-30T23:39:31.951155Z","member":"urn:li:member:1003","outcome":"uphold","reason":"Upheld: your data will be removed from every dataset"}', '935412f558ab10066f4dd96ea1bfddcba84f0ccc392db03d5a149c16e074624c', '5856b6d5d63953d01f6092c95e7157d2e7a7219da92ce1c6c8a8b2fd2240c004');
INSERT INTO public.audit_log VALUES (21, 1796081972080080, 'cli:root', 'dataset_purge_started', 'ds_20261130_471c0055', '{"manifest_sha256":"5f0485973f2be93dae070aea97c65881687fab35b7874c2af07982d3f908ec8a","removing_members":"1","version":"2"}', '5856b6d5d63953d01f6092c95e7157d2e7a7219da92ce1c6c8a8b2fd2240c004', 'f68a99729600a95dea27303edb2abd012ee0c244b62f05d7036585bdbc368c4b');
INSERT INTO public.audit_log VALUES (22, 1796081972095803, 'cli:root', 'dataset_purged', 'ds_20261130_471c0055', '{"manifest_sha256":"5f0485973f2be93dae070aea97c65881687fab35b7874c2af07982d3f908ec8a","previous_version":"1","records":"1","removed_members":"1","version":"2"}', 'f68a99729600a95dea27303edb2abd012ee0c244b62f05d7036585bdbc368c4b', 'ef4bc610da4e5a590b30bd6792fbc24df9f25c1d710949b687a234c64e719171');
INSERT INTO public.audit_log VALUES (23, 1796081972114673, 'cli:root', 'dataset_purge_started', 'ds_20261130_8b90c05d', '{"manifest_sha256":"2144a2c99020c4d0d7dc010e621539fa5fb89b08b5b4410b4bee69c364690d6b","removing_members":"1","version":"2"}', 'ef4bc610da4e5a590b30bd6792fbc24df9f25c1d710949b687a234c64e719171', 'e5d948fd8761e94bc68a443a803872d12aba49da6b5776ca4eb41fb92bb49d22');
INSERT INTO public.audit_log VALUES (24, 1796081972124857, 'cli:root', 'dataset_purged', 'ds_20261130_8b90c05d', '{"manifest_sha256":"2144a2c99020c4d0d7dc010e621539fa5fb89b08b5b4410b4bee69c364690d6b","previous_version":"1","records":"1","removed_members":"1","version":"2"}', 'e5d948fd8761e94bc68a443a803872d12aba49da6b5776ca4eb41fb92bb49d22', '6a291d96678639e92e7c3dbe336bf5d7ce03925591c2008f6294124acf4c0241');
INSERT INTO public.audit_log VALUES (25, 1796081972124857, 'cli:root', 'objection_completed', 'obj_4b47d5f7f7733114', '{"at":"2026-11-30T23:39:32.124857Z","member":"urn:li:member:1003","reason":"This member''s data was removed from every dataset that held it: ds_20261130_471c0055, ds_20261130_8b90c05d."}', '6a291d96678639e92e7c3dbe336bf5d7ce03925591c2008f6294124acf4c0241', '2fc295fc0897885a18a2b816938d6f7c5b3f349c3316e52d5a6b7fcecd2ee736');
INSERT INTO public.audit_log VALUES (26, 1796081972741531, 'urn:li:member:1001', 'choice_recorded', 'urn:li:member:1001', '{"at":"2026-11-30T23:39:32.741515Z","channel":"android","choice":"off"}', '2fc295fc0897885a18a2b816938d6f7c5b3f349c3316e52d5a6b7fcecd2ee736', 'b692ab6f10d9b760185603fe35df692b56e496f07b7a122f752287de3e8e8384');
INSERT INTO public.audit_log VALUES (27, 1796081973052608, 'non-member:req_559687767e5b016e', 'objection_filed', 'obj_2d0ea59b26e5390a', '{"at":"2026-11-30T23:39:33.052605Z","due":"2026-12-30T23:39:33.052605Z","member":"(not a member)"}', 'b692ab6f10d9b760185603fe35df692b56e496f07b7a122f752287de3e8e8384', '90cd9805fd0d57aa18cb759a95b100e25f1b73075b5de26150f399f07c614ddd');


--
-- Data for Name: consent_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.consent_events VALUES (1, 1, 'off', 'web', 1759320000000000, 'import:consents.jsonl', 1796081970113733);
INSERT INTO public.consent_events VALUES (2, 3, 'on', 'android', 1762331400000000, 'import:consents.jsonl', 1796081970113733);
INSERT INTO public.consent_events VALUES (3, 4, 'off', 'gpc', 1763661600000000, 'import:consents.jsonl', 1796081970113733);
INSERT INTO public.consent_events VALUES (4, 1, 'on', 'ios', 1796081970474729, 'cli:root', 1796081970498701);
INSERT INTO public.consent_events VALUES (5, 1, 'off', 'android', 1796081972741515, 'urn:li:member:1001', 1796081972741531);


--
-- Data for Name: dataset_members; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.dataset_members VALUES (1, 1, NULL);
INSERT INTO public.dataset_members VALUES (2, 1, NULL);
INSERT INTO public.dataset_members VALUES (1, 3, 2);
INSERT INTO public.dataset_members VALUES (2, 3, 2);


--
-- Data for Name: dataset_removals; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.dataset_removals VALUES (1, 2, 3);
INSERT INTO public.dataset_removals VALUES (2, 2, 3);


--
-- Data for Name: dataset_versions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.dataset_versions VALUES ('ds_20261130_471c0055', 1, 'committed', 1796081971443134, '{"as_of":"2026-11-30T23:39:31.408014Z","categories":["account.name","preferences.language","service.platform","profile.headline","profile.summary","profile.experience","profile.education","profile.skills","profile.photo","content.posts","content.comments"],"counts":{"age_unknown":1,"eligible":2,"minor":1,"objection_upheld":1,"opted_in":2,"region_not_in_scope":1},"created_at":"2026-11-30T23:39:31.442955Z","dataset":"ds_20261130_471c0055","files":[{"bytes":173,"name":"part-00000.jsonl","records":2,"sha256":"ced14a301520d60a2fc78aae1c1bb6fa87c76cb3a2c8a09d31d4533e0640f476"}],"format":"consentry-dataset/1","kind":"export","member_field":"member","members":2,"name":"walkthrough","policy":{"sha256":"5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84","version":"2025-11-03"},"previous":null,"purge":null,"records":2,"tool":"consentry 0.5.0","version":1}
', 'c0a9251eb53d58ba45053532361665a3bb7cc564aa8792b3573b138ea3c041d3', 2, 0);
INSERT INTO public.dataset_versions VALUES ('ds_20261130_8b90c05d', 1, 'committed', 1796081971552934, '{"as_of":"2026-11-30T23:39:31.519964Z","categories":[],"counts":{"before_lookback":1,"kept":2,"malformed":1,"member_unknown":1,"minor":1,"missing_member":1,"objection_upheld":1},"created_at":"2026-11-30T23:39:31.55275Z","dataset":"ds_20261130_8b90c05d","files":[{"bytes":226,"name":"posts.jsonl","records":2,"sha256":"5f11117d3f962339ff85d176127803c6f81ecd185b41d7b910d7a7e30be7e82a"}],"format":"consentry-dataset/1","kind":"filter","member_field":"member_id","members":2,"name":"posts","policy":{"sha256":"5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84","version":"2025-11-03"},"previous":null,"purge":null,"records":2,"tool":"consentry 0.5.0","version":1}
', '91622e864e07358bef8cb829f3dce9ea2f51ae8941757d4a84bbcc774865836f', 2, 0);
INSERT INTO public.dataset_versions VALUES ('ds_20261130_471c0055', 2, 'committed', 1796081972079490, '{"as_of":"2026-11-30T23:39:31.408014Z","categories":["account.name","preferences.language","service.platform","profile.headline","profile.summary","profile.experience","profile.education","profile.skills","profile.photo","content.posts","content.comments"],"counts":{"age_unknown":1,"eligible":2,"minor":1,"objection_upheld":1,"opted_in":2,"region_not_in_scope":1},"created_at":"2026-11-30T23:39:32.07949Z","dataset":"ds_20261130_471c0055","files":[{"bytes":104,"name":"part-00000.v2.jsonl","records":1,"sha256":"e7d6dd22868456f6c9acd10a3af38927284280bfc6a532bd654969c4cc8161f0"}],"format":"consentry-dataset/1","kind":"export","member_field":"member","members":1,"name":"walkthrough","policy":{"sha256":"5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84","version":"2025-11-03"},"previous":{"manifest_sha256":"c0a9251eb53d58ba45053532361665a3bb7cc564aa8792b3573b138ea3c041d3","version":1},"purge":{"reasons":{"objection_upheld":1},"removed_members":1,"removed_records":1},"records":1,"tool":"consentry 0.5.0","version":2}
', '5f0485973f2be93dae070aea97c65881687fab35b7874c2af07982d3f908ec8a', 1, 1);
INSERT INTO public.dataset_versions VALUES ('ds_20261130_8b90c05d', 2, 'committed', 1796081972114556, '{"as_of":"2026-11-30T23:39:31.519964Z","categories":[],"counts":{"before_lookback":1,"kept":2,"malformed":1,"member_unknown":1,"minor":1,"missing_member":1,"objection_upheld":1},"created_at":"2026-11-30T23:39:32.114556Z","dataset":"ds_20261130_8b90c05d","files":[{"bytes":118,"name":"posts.jsonl","records":1,"sha256":"05c81b20d104e3f05dd60bb7372c20ad7db4e78bdbb05a23294c11d0c035c0a3"}],"format":"consentry-dataset/1","kind":"filter","member_field":"member_id","members":1,"name":"posts","policy":{"sha256":"5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84","version":"2025-11-03"},"previous":{"manifest_sha256":"91622e864e07358bef8cb829f3dce9ea2f51ae8941757d4a84bbcc774865836f","version":1},"purge":{"reasons":{"objection_upheld":1},"removed_members":1,"removed_records":1},"records":1,"tool":"consentry 0.5.0","version":2}
', '2144a2c99020c4d0d7dc010e621539fa5fb89b08b5b4410b4bee69c364690d6b', 1, 1);


--
-- Data for Name: datasets; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.datasets VALUES (1, 'ds_20261130_471c0055', 'walkthrough', 'export', '/tmp/tmp.fKHe6bqbm9/export', 'member', 1796081971443134, 1796081971408014, '2025-11-03', '5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84', 'cli:root');
INSERT INTO public.datasets VALUES (2, 'ds_20261130_8b90c05d', 'posts', 'filter', '/tmp/tmp.fKHe6bqbm9/posts.jsonl', 'member_id', 1796081971552934, 1796081971519964, '2025-11-03', '5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84', 'cli:root');


--
-- Data for Name: idempotency_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.idempotency_keys VALUES ('90b5107a68ad30677bde4b648b483840f0da962830bcbc01e9a9b86c95f63773', 'choice', '5', 1796081972741531);


--
-- Data for Name: members; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.members VALUES (1, 'urn:li:member:1001', '2001-04-12', 'DE', 1758362400000000, '{"account.login":{"password_hash":"never exported"},"account.name":"Ana Muster","profile.headline":"Data engineer"}', 1796081970048460);
INSERT INTO public.members VALUES (2, 'urn:li:member:1002', '2009-06-30', 'FR', NULL, '{"account.name":"Léa Martin"}', 1796081970048460);
INSERT INTO public.members VALUES (3, 'urn:li:member:1003', '1988-02-29', 'CA', NULL, '{"account.name":"Sam Okafor"}', 1796081970048460);
INSERT INTO public.members VALUES (4, 'urn:li:member:1004', '1975-11-02', 'US', NULL, '{"profile.headline":"Nurse and educator"}', 1796081970048460);
INSERT INTO public.members VALUES (5, 'urn:li:member:1005', NULL, 'GB', NULL, '{}', 1796081970048460);
INSERT INTO public.members VALUES (6, 'urn:li:member:1006', '1990-01-01', 'BR', NULL, '{}', 1796081970048460);


--
-- Data for Name: model_datasets; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.model_datasets VALUES ('assistant-v1', 'ds_20261130_471c0055', 1);
INSERT INTO public.model_datasets VALUES ('assistant-v1', 'ds_20261130_8b90c05d', 1);


--
-- Data for Name: models; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.models VALUES ('assistant-v1', 1796081971775808, 'cli:root');


--
-- Data for Name: objection_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.objection_events VALUES ('obj_b97e2f9ea1d88934', 0, 'received', 1796081970581779, NULL, 1798673970581779, NULL, 'I never agreed to this', 'cli:root', 1796081970582074);
INSERT INTO public.objection_events VALUES ('obj_b97e2f9ea1d88934', 1, 'extended', 1796081970684423, 30, 1801265970581779, NULL, 'We are locating archived copies', 'cli:root', 1796081970684640);
INSERT INTO public.objection_events VALUES ('obj_b97e2f9ea1d88934', 2, 'decided', 1796081970770223, NULL, NULL, 'uphold', 'Upheld: your data will no longer be used', 'cli:root', 1796081970770395);
INSERT INTO public.objection_events VALUES ('obj_b97e2f9ea1d88934', 3, 'completed', 1796081970783703, NULL, NULL, NULL, 'No registered dataset holds this member''s data.', 'cli:root', 1796081970783703);
INSERT INTO public.objection_events VALUES ('obj_4b47d5f7f7733114', 0, 'received', 1796081971863070, NULL, 1798673971863070, NULL, NULL, 'cli:root', 1796081971863312);
INSERT INTO public.objection_events VALUES ('obj_4b47d5f7f7733114', 1, 'decided', 1796081971951155, NULL, NULL, 'uphold', 'Upheld: your data will be removed from every dataset', 'cli:root', 1796081971951363);
INSERT INTO public.objection_events VALUES ('obj_4b47d5f7f7733114', 2, 'completed', 1796081972124857, NULL, NULL, NULL, 'This member''s data was removed from every dataset that held it: ds_20261130_471c0055, ds_20261130_8b90c05d.', 'cli:root', 1796081972124857);
INSERT INTO public.objection_events VALUES ('obj_2d0ea59b26e5390a', 0, 'received', 1796081973052605, NULL, 1798673973052605, NULL, 'my photo', 'non-member:req_559687767e5b016e', 1796081973052608);


--
-- Data for Name: objection_requests; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.objection_requests VALUES ('req_559687767e5b016e', 'someone@example.org', '["https://example.org/post/1"]', 'my photo', '03ef7768a1491a83a658197890f60075cce3862e495990500a8b46858480b7b4', 1796081972796232, 1, 'obj_2d0ea59b26e5390a');


--
-- Data for Name: objections; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.objections VALUES ('obj_b97e2f9ea1d88934', 4, 1796081970581779, NULL, NULL);
INSERT INTO public.objections VALUES ('obj_4b47d5f7f7733114', 3, 1796081971863070, NULL, NULL);
INSERT INTO public.objections VALUES ('obj_2d0ea59b26e5390a', NULL, 1796081973052605, 'someone@example.org', '["https://example.org/post/1"]');


--
-- Data for Name: outbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox VALUES (1, 'evt_2140465ab5d35c24', 'objection.received', 'obj_b97e2f9ea1d88934', '{"email":null,"id":"evt_2140465ab5d35c24","member":"urn:li:member:1004","objection":{"decided_at":null,"decision":null,"decision_reason":null,"due":"2026-12-30T23:39:30.581779Z","email":null,"extended_due":null,"id":"obj_b97e2f9ea1d88934","identifiers":null,"member":"urn:li:member:1004","received_at":"2026-11-30T23:39:30.581779Z","status":"received","timeline":[{"at":"2026-11-30T23:39:30.581779Z","due":"2026-12-30T23:39:30.581779Z","event":"received","reason":"I never agreed to this"}]},"occurred_at":"2026-11-30T23:39:30.581779Z","type":"objection.received"}', 1796081970582074, 1, 1796081978138972, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (3, 'evt_d3ac50d483f49637', 'objection.upheld', 'obj_b97e2f9ea1d88934', '{"email":null,"id":"evt_d3ac50d483f49637","member":"urn:li:member:1004","objection":{"decided_at":"2026-11-30T23:39:30.770223Z","decision":"uphold","decision_reason":"Upheld: your data will no longer be used","due":"2026-12-30T23:39:30.581779Z","email":null,"extended_due":"2027-01-29T23:39:30.581779Z","id":"obj_b97e2f9ea1d88934","identifiers":null,"member":"urn:li:member:1004","received_at":"2026-11-30T23:39:30.581779Z","status":"upheld","timeline":[{"at":"2026-11-30T23:39:30.581779Z","due":"2026-12-30T23:39:30.581779Z","event":"received","reason":"I never agreed to this"},{"at":"2026-11-30T23:39:30.684423Z","days":30,"due":"2027-01-29T23:39:30.581779Z","event":"extended","reason":"We are locating archived copies"},{"at":"2026-11-30T23:39:30.770223Z","event":"upheld","reason":"Upheld: your data will no longer be used"}]},"occurred_at":"2026-11-30T23:39:30.770223Z","type":"objection.upheld"}', 1796081970770395, 1, 1796081978156686, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (4, 'evt_601cfd58e0330485', 'objection.completed', 'obj_b97e2f9ea1d88934', '{"email":null,"id":"evt_601cfd58e0330485","member":"urn:li:member:1004","objection":{"decided_at":"2026-11-30T23:39:30.770223Z","decision":"uphold","decision_reason":"Upheld: your data will no longer be used","due":"2026-12-30T23:39:30.581779Z","email":null,"extended_due":"2027-01-29T23:39:30.581779Z","id":"obj_b97e2f9ea1d88934","identifiers":null,"member":"urn:li:member:1004","received_at":"2026-11-30T23:39:30.581779Z","status":"completed","timeline":[{"at":"2026-11-30T23:39:30.581779Z","due":"2026-12-30T23:39:30.581779Z","event":"received","reason":"I never agreed to this"},{"at":"2026-11-30T23:39:30.684423Z","days":30,"due":"2027-01-29T23:39:30.581779Z","event":"extended","reason":"We are locating archived copies"},{"at":"2026-11-30T23:39:30.770223Z","event":"upheld","reason":"Upheld: your data will no longer be used"},{"at":"2026-11-30T23:39:30.783703Z","event":"completed","reason":"No registered dataset holds this member''s data."}]},"occurred_at":"2026-11-30T23:39:30.783703Z","type":"objection.completed"}', 1796081970783703, 1, 1796081978161011, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (5, 'evt_e11df8334d9cd7ac', 'objection.received', 'obj_4b47d5f7f7733114', '{"email":null,"id":"evt_e11df8334d9cd7ac","member":"urn:li:member:1003","objection":{"decided_at":null,"decision":null,"decision_reason":null,"due":"2026-12-30T23:39:31.86307Z","email":null,"extended_due":null,"id":"obj_4b47d5f7f7733114","identifiers":null,"member":"urn:li:member:1003","received_at":"2026-11-30T23:39:31.86307Z","status":"received","timeline":[{"at":"2026-11-30T23:39:31.86307Z","due":"2026-12-30T23:39:31.86307Z","event":"received","reason":null}]},"occurred_at":"2026-11-30T23:39:31.86307Z","type":"objection.received"}', 1796081971863312, 1, 1796081978168117, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (6, 'evt_b5991f035e1d79c4', 'objection.upheld', 'obj_4b47d5f7f7733114', '{"email":null,"id":"evt_b5991f035e1d79c4","member":"urn:li:member:1003","objection":{"decided_at":"2026-11-30T23:39:31.951155Z","decision":"uphold","decision_reason":"Upheld: your data will be removed from every dataset","due":"2026-12-30T23:39:31.86307Z","email":null,"extended_due":null,"id":"obj_4b47d5f7f7733114","identifiers":null,"member":"urn:li:member:1003","received_at":"2026-11-30T23:39:31.86307Z","status":"upheld","timeline":[{"at":"2026-11-30T23:39:31.86307Z","due":"2026-12-30T23:39:31.86307Z","event":"received","reason":null},{"at":"2026-11-30T23:39:31.951155Z","event":"upheld","reason":"Upheld: your data will be removed from every dataset"}]},"occurred_at":"2026-11-30T23:39:31.951155Z","type":"objection.upheld"}', 1796081971951363, 1, 1796081978174019, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (7, 'evt_42d4649385042039', 'objection.completed', 'obj_4b47d5f7f7733114', '{"email":null,"id":"evt_42d4649385042039","member":"urn:li:member:1003","objection":{"decided_at":"2026-11-30T23:39:31.951155Z","decision":"uphold","decision_reason":"Upheld: your data will be removed from every dataset","due":"2026-12-30T23:39:31.86307Z","email":null,"extended_due":null,"id":"obj_4b47d5f7f7733114","identifiers":null,"member":"urn:li:member:1003","received_at":"2026-11-30T23:39:31.86307Z","status":"completed","timeline":[{"at":"2026-11-30T23:39:31.86307Z","due":"2026-12-30T23:39:31.86307Z","event":"received","reason":null},{"at":"2026-11-30T23:39:31.951155Z","event":"upheld","reason":"Upheld: your data will be removed from every dataset"},{"at":"2026-11-30T23:39:32.124857Z","event":"completed","reason":"This member''s data was removed from every dataset that held it: ds_20261130_471c0055, ds_20261130_8b90c05d."}]},"occurred_at":"2026-11-30T23:39:32.124857Z","type":"objection.completed"}', 1796081972124857, 1, 1796081978181781, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (8, 'evt_a15879dacc370393', 'objection.verification', 'req_559687767e5b016e', '{"code":"18938597","email":"someone@example.org","expires_at":"2026-12-01T00:39:32.796232Z","id":"evt_a15879dacc370393","occurred_at":"2026-11-30T23:39:32.796232Z","request":"req_559687767e5b016e","type":"objection.verification"}', 1796081972801886, 1, 1796081978189992, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (9, 'evt_783d40859830dfe4', 'objection.received', 'obj_2d0ea59b26e5390a', '{"email":"someone@example.org","id":"evt_783d40859830dfe4","member":null,"objection":{"decided_at":null,"decision":null,"decision_reason":null,"due":"2026-12-30T23:39:33.052605Z","email":"someone@example.org","extended_due":null,"id":"obj_2d0ea59b26e5390a","identifiers":["https://example.org/post/1"],"member":null,"received_at":"2026-11-30T23:39:33.052605Z","status":"received","timeline":[{"at":"2026-11-30T23:39:33.052605Z","due":"2026-12-30T23:39:33.052605Z","event":"received","reason":"my photo"}]},"occurred_at":"2026-11-30T23:39:33.052605Z","type":"objection.received"}', 1796081973052608, 1, 1796081978205615, NULL, 'Failed to connect to 127.0.0.1 port 9 after 3 ms: Couldn''t connect to server');
INSERT INTO public.outbox VALUES (2, 'evt_ff77845d0579e780', 'objection.extended', 'obj_b97e2f9ea1d88934', '{"email":null,"id":"evt_ff77845d0579e780","member":"urn:li:member:1004","objection":{"decided_at":null,"decision":null,"decision_reason":null,"due":"2026-12-30T23:39:30.581779Z","email":null,"extended_due":"2027-01-29T23:39:30.581779Z","id":"obj_b97e2f9ea1d88934","identifiers":null,"member":"urn:li:member:1004","received_at":"2026-11-30T23:39:30.581779Z","status":"extended","timeline":[{"at":"2026-11-30T23:39:30.581779Z","due":"2026-12-30T23:39:30.581779Z","event":"received","reason":"I never agreed to this"},{"at":"2026-11-30T23:39:30.684423Z","days":30,"due":"2027-01-29T23:39:30.581779Z","event":"extended","reason":"We are locating archived copies"}]},"occurred_at":"2026-11-30T23:39:30.684423Z","type":"objection.extended"}', 1796081970684640, 1, 1796081978150068, NULL, 'Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn''t connect to server');


--
-- Data for Name: policy_activations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.policy_activations VALUES (1, '2025-11-03', 1796081969983109, 'cli:root');


--
-- Data for Name: policy_versions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.policy_versions VALUES ('2025-11-03', '5abd1c10721cc6c38b9e0c689c388efbd364e6f6a534cabebfd0e31fa57c4e84', '{"categories":{"allow":["account.name","preferences.language","service.platform","profile.headline","profile.summary","profile.experience","profile.education","profile.skills","profile.photo","content.posts","content.comments"]},"honor_gpc":true,"lookback_start":"2020-01-01T00:00:00Z","minimum_age":18,"notice_days":0,"objections":{"max_extension_days":60,"response_days":30},"purpose":"genai-training","regions":[{"countries":["US"],"default":"included","effective":"2024-09-18T00:00:00Z","id":"us"},{"countries":["AT","BE","BG","HR","CY","CZ","DK","EE","FI","FR","DE","GR","HU","IE","IT","LV","LT","LU","MT","NL","PL","PT","RO","SK","SI","ES","SE","IS","LI","NO","CH","GB"],"default":"included","effective":"2025-11-03T00:00:00Z","id":"europe"},{"countries":["CA","HK"],"default":"excluded","effective":"2025-11-03T00:00:00Z","id":"canada-hong-kong"}],"unknown_age":"exclude","version":"2025-11-03"}', 1796081969983109);


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1, 'consent store', 1796081969940406);
INSERT INTO public.schema_migrations VALUES (2, 'datasets, models and lineage', 1796081969972203);
INSERT INTO public.schema_migrations VALUES (3, 'idempotency keys', 1796081969976532);
INSERT INTO public.schema_migrations VALUES (4, 'audit log time index as BRIN', 1796081969979716);


--
-- Name: consent_events_sequence_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.consent_events_sequence_seq', 5, true);


--
-- Name: datasets_key_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.datasets_key_seq', 2, true);


--
-- Name: members_member_key_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.members_member_key_seq', 6, true);


--
-- Name: outbox_sequence_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_sequence_seq', 9, true);


--
-- Name: policy_activations_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.policy_activations_id_seq', 1, true);


--
-- Name: audit_head audit_head_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_head
    ADD CONSTRAINT audit_head_pkey PRIMARY KEY (singleton);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (sequence);


--
-- Name: consent_events consent_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consent_events
    ADD CONSTRAINT consent_events_pkey PRIMARY KEY (sequence);


--
-- Name: dataset_members dataset_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_members
    ADD CONSTRAINT dataset_members_pkey PRIMARY KEY (dataset_key, member_key);


--
-- Name: dataset_removals dataset_removals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_removals
    ADD CONSTRAINT dataset_removals_pkey PRIMARY KEY (dataset_key, version, member_key);


--
-- Name: dataset_versions dataset_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_versions
    ADD CONSTRAINT dataset_versions_pkey PRIMARY KEY (dataset_id, version);


--
-- Name: datasets datasets_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.datasets
    ADD CONSTRAINT datasets_id_key UNIQUE (id);


--
-- Name: datasets datasets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.datasets
    ADD CONSTRAINT datasets_pkey PRIMARY KEY (key);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (key);


--
-- Name: members members_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.members
    ADD CONSTRAINT members_id_key UNIQUE (id);


--
-- Name: members members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.members
    ADD CONSTRAINT members_pkey PRIMARY KEY (member_key);


--
-- Name: model_datasets model_datasets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.model_datasets
    ADD CONSTRAINT model_datasets_pkey PRIMARY KEY (model, dataset_id);


--
-- Name: models models_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.models
    ADD CONSTRAINT models_pkey PRIMARY KEY (name);


--
-- Name: objection_events objection_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objection_events
    ADD CONSTRAINT objection_events_pkey PRIMARY KEY (objection_id, "position");


--
-- Name: objection_requests objection_requests_objection_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objection_requests
    ADD CONSTRAINT objection_requests_objection_id_key UNIQUE (objection_id);


--
-- Name: objection_requests objection_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objection_requests
    ADD CONSTRAINT objection_requests_pkey PRIMARY KEY (id);


--
-- Name: objections objections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objections
    ADD CONSTRAINT objections_pkey PRIMARY KEY (id);


--
-- Name: outbox outbox_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_id_key UNIQUE (id);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (sequence);


--
-- Name: policy_activations policy_activations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.policy_activations
    ADD CONSTRAINT policy_activations_pkey PRIMARY KEY (id);


--
-- Name: policy_versions policy_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.policy_versions
    ADD CONSTRAINT policy_versions_pkey PRIMARY KEY (version);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: audit_log_by_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_by_time ON public.audit_log USING brin (recorded_at);


--
-- Name: consent_events_by_member; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX consent_events_by_member ON public.consent_events USING btree (member_key, at, sequence) INCLUDE (choice, channel);


--
-- Name: dataset_members_by_member; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dataset_members_by_member ON public.dataset_members USING btree (member_key);


--
-- Name: model_datasets_by_dataset; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX model_datasets_by_dataset ON public.model_datasets USING btree (dataset_id);


--
-- Name: objection_requests_by_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX objection_requests_by_email ON public.objection_requests USING btree (lower(email), created_at);


--
-- Name: objections_by_member; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX objections_by_member ON public.objections USING btree (member_key);


--
-- Name: outbox_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_pending ON public.outbox USING btree (sequence) WHERE (delivered_at IS NULL);


--
-- Name: audit_log audit_log_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: consent_events consent_events_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER consent_events_append_only BEFORE DELETE OR UPDATE ON public.consent_events FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: dataset_members dataset_members_guard; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dataset_members_guard BEFORE DELETE OR UPDATE ON public.dataset_members FOR EACH ROW EXECUTE FUNCTION public.dataset_members_guard();


--
-- Name: dataset_removals dataset_removals_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dataset_removals_append_only BEFORE DELETE OR UPDATE ON public.dataset_removals FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: dataset_versions dataset_versions_guard; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dataset_versions_guard BEFORE DELETE OR UPDATE ON public.dataset_versions FOR EACH ROW EXECUTE FUNCTION public.dataset_versions_guard();


--
-- Name: datasets datasets_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER datasets_append_only BEFORE DELETE OR UPDATE ON public.datasets FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: idempotency_keys idempotency_keys_no_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON public.idempotency_keys FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: model_datasets model_datasets_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER model_datasets_append_only BEFORE DELETE OR UPDATE ON public.model_datasets FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: models models_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER models_append_only BEFORE DELETE OR UPDATE ON public.models FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: objection_events objection_events_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER objection_events_append_only BEFORE DELETE OR UPDATE ON public.objection_events FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: objection_requests objection_requests_guard; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER objection_requests_guard BEFORE DELETE OR UPDATE ON public.objection_requests FOR EACH ROW EXECUTE FUNCTION public.objection_requests_guard();


--
-- Name: objections objections_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER objections_append_only BEFORE DELETE OR UPDATE ON public.objections FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: outbox outbox_guard; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER outbox_guard BEFORE DELETE OR UPDATE ON public.outbox FOR EACH ROW EXECUTE FUNCTION public.outbox_guard();


--
-- Name: policy_activations policy_activations_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER policy_activations_append_only BEFORE DELETE OR UPDATE ON public.policy_activations FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: policy_versions policy_versions_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER policy_versions_append_only BEFORE DELETE OR UPDATE ON public.policy_versions FOR EACH ROW EXECUTE FUNCTION public.consentry_refuse_change();


--
-- Name: consent_events consent_events_member_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consent_events
    ADD CONSTRAINT consent_events_member_key_fkey FOREIGN KEY (member_key) REFERENCES public.members(member_key);


--
-- Name: dataset_members dataset_members_dataset_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_members
    ADD CONSTRAINT dataset_members_dataset_key_fkey FOREIGN KEY (dataset_key) REFERENCES public.datasets(key);


--
-- Name: dataset_members dataset_members_member_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_members
    ADD CONSTRAINT dataset_members_member_key_fkey FOREIGN KEY (member_key) REFERENCES public.members(member_key);


--
-- Name: dataset_removals dataset_removals_dataset_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_removals
    ADD CONSTRAINT dataset_removals_dataset_key_fkey FOREIGN KEY (dataset_key) REFERENCES public.datasets(key);


--
-- Name: dataset_removals dataset_removals_member_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_removals
    ADD CONSTRAINT dataset_removals_member_key_fkey FOREIGN KEY (member_key) REFERENCES public.members(member_key);


--
-- Name: dataset_versions dataset_versions_dataset_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset_versions
    ADD CONSTRAINT dataset_versions_dataset_id_fkey FOREIGN KEY (dataset_id) REFERENCES public.datasets(id);


--
-- Name: model_datasets model_datasets_dataset_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.model_datasets
    ADD CONSTRAINT model_datasets_dataset_id_fkey FOREIGN KEY (dataset_id) REFERENCES public.datasets(id);


--
-- Name: model_datasets model_datasets_model_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.model_datasets
    ADD CONSTRAINT model_datasets_model_fkey FOREIGN KEY (model) REFERENCES public.models(name);


--
-- Name: objection_events objection_events_objection_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objection_events
    ADD CONSTRAINT objection_events_objection_id_fkey FOREIGN KEY (objection_id) REFERENCES public.objections(id);


--
-- Name: objection_requests objection_requests_objection_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objection_requests
    ADD CONSTRAINT objection_requests_objection_id_fkey FOREIGN KEY (objection_id) REFERENCES public.objections(id);


--
-- Name: objections objections_member_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.objections
    ADD CONSTRAINT objections_member_key_fkey FOREIGN KEY (member_key) REFERENCES public.members(member_key);


--
-- Name: policy_activations policy_activations_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.policy_activations
    ADD CONSTRAINT policy_activations_version_fkey FOREIGN KEY (version) REFERENCES public.policy_versions(version);


--
-- PostgreSQL database dump complete
--

\unrestrict owd3ZFpzMUA3F8v9EpOcLcfE4oD1FJ3VMZVBhqDIi9UZqTLzk5ChkXia1TbeYck

