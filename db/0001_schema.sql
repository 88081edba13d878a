-- DrLlm.Cluster schema, version 1. Applied by every node (and the CLI) on start under a PostgreSQL advisory lock and
-- recorded in schema_migrations (see src/DrLlm.Cluster/Data/Migrator.cs). Quartz's own qrtz_* tables only schedule work;
-- every piece of state that matters lives here. Status columns are plain text with CHECK constraints so that a
-- dashboard or psql can read them without a lookup table.

-- A worker process (drllm node). heartbeat_at is refreshed every 2 s; a node whose heartbeat is older than 15 s is
-- shown as lost by v_nodes (and marked so by the next node that looks).
create table nodes (
    id            text primary key,
    host          text not null,
    pid           integer not null,
    concurrency   integer not null,
    status        text not null check (status in ('up', 'leaving', 'left', 'lost')),
    started_at    timestamptz not null default now(),
    heartbeat_at  timestamptz not null default now(),
    left_at       timestamptz
);

-- A base model as the first node that loaded it registered it. A node whose weights under the same name hash
-- differently is refused, so one model name always means one set of weights (results stay comparable).
create table base_models (
    name           text primary key,
    path           text not null,
    format         text not null,
    sha256         text not null,
    blocks         integer not null,
    hidden_size    integer not null,
    registered_at  timestamptz not null default now()
);

-- The ModelHost actor: one per node and model, in the node's process.
create table model_hosts (
    node_id       text not null references nodes (id) on delete cascade,
    model         text not null,
    path          text not null,
    status        text not null check (status in ('loading', 'ready', 'failed', 'stopped')),
    load_seconds  double precision,
    memory_bytes  bigint,
    error         text,
    heartbeat_at  timestamptz not null default now(),
    primary key (node_id, model)
);

-- Benchmarks/task families a sweep uses (name plus data file for file-based tasks; '' for synthetic families).
create table tasks (
    id         bigserial primary key,
    name       text not null,
    file       text not null default '',
    in_domain  boolean not null,
    unique (name, file)
);

-- A sweep: the spec as given and as normalised. The CLI and the dashboard only insert rows here (status 'queued') and
-- set status 'cancelling'; nodes do the rest.
create table sweeps (
    id           bigserial primary key,
    name         text not null,
    spec         jsonb not null,
    spec_text    text not null,
    status       text not null check (status in ('queued', 'running', 'cancelling', 'cancelled', 'done', 'failed')),
    error        text,
    created_at   timestamptz not null default now(),
    started_at   timestamptz,
    finished_at  timestamptz
);

-- One experiment = base model × in-domain task × one point of the search-settings grid × seed. It moves through the
-- stages search → train → evaluate → done; status says whether the current stage is queued, running, or ended.
create table experiments (
    id            bigserial primary key,
    sweep_id      bigint not null references sweeps (id) on delete cascade,
    model         text not null,
    task_id       bigint not null references tasks (id),
    settings      jsonb not null,
    settings_key  text not null,
    seed          integer not null,
    stage         text not null check (stage in ('search', 'train', 'evaluate', 'done')),
    status        text not null check (status in ('queued', 'running', 'done', 'failed', 'cancelled')),
    error         text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    unique (sweep_id, model, task_id, settings_key, seed)
);
create index experiments_sweep on experiments (sweep_id);

-- Task items an experiment uses: role 'search' (in-domain split labelled by MCTS, then router training) or 'eval'
-- (held-out in-domain split and out-of-domain tasks). item holds the whole TaskItem so grading needs no source file.
create table examples (
    id             bigserial primary key,
    experiment_id  bigint not null references experiments (id) on delete cascade,
    role           text not null check (role in ('search', 'eval')),
    task           text not null,
    split          text not null,
    item_id        text not null,
    level          integer,
    prompt         text not null,
    gold           text not null,
    item           jsonb not null,
    unique (experiment_id, role, task, item_id)
);

-- The SearchTree actor (experiment + example): the MCTS state at its last checkpoint, and its result once done.
-- attempt is a fencing token: each execution bumps it when it claims the tree and writes only while it still holds it,
-- so an execution that was presumed dead (and replaced) can never overwrite its successor's work.
create table search_trees (
    id                bigserial primary key,
    experiment_id     bigint not null references experiments (id) on delete cascade,
    example_id        bigint not null unique references examples (id) on delete cascade,
    seed              bigint not null,
    status            text not null check (status in ('pending', 'running', 'done', 'failed', 'cancelled')),
    node_id           text,
    attempt           integer not null default 0,
    executions        integer not null default 0,
    simulations       integer not null default 0,
    resumed_from      integer,
    state             jsonb,
    block_runs        bigint not null default 0,
    block_runs_saved  bigint not null default 0,
    search_seconds    double precision not null default 0,
    job_seconds       double precision not null default 0,
    eval_seconds      double precision not null default 0,
    paths_evaluated   integer,
    default_correct   boolean,
    best_path         integer[],
    best_correct      boolean,
    labels            integer[],
    stop_reason       text,
    error             text,
    checkpointed_at   timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz not null default now()
);
create index search_trees_experiment on search_trees (experiment_id, status);

-- The TrainingJob actor (experiment): routers trained on the experiment's labels. trainer_state holds the optimiser
-- state after the last finished epoch, so another node resumes from there.
create table training_runs (
    id                   bigserial primary key,
    experiment_id        bigint not null unique references experiments (id) on delete cascade,
    status               text not null check (status in ('pending', 'running', 'done', 'failed', 'cancelled')),
    node_id              text,
    attempt              integer not null default 0,
    epochs               integer not null,
    epoch                integer not null default 0,
    options              jsonb not null,
    train_examples       integer,
    validation_examples  integer,
    trainer_state        bytea,
    trainer_state_json   text,
    error                text,
    started_at           timestamptz,
    finished_at          timestamptz,
    updated_at           timestamptz not null default now()
);

create table training_epochs (
    training_run_id            bigint not null references training_runs (id) on delete cascade,
    epoch                      integer not null,
    train_loss                 double precision not null,
    validation_loss            double precision,
    validation_accuracy        double precision not null,
    validation_macro_f1        double precision not null,
    validation_class_accuracy  double precision[] not null,
    primary key (training_run_id, epoch)
);

-- The trained router set of an experiment (routers.safetensors and routers.json, as drllm train-routers writes them).
create table router_checkpoints (
    id                   bigserial primary key,
    experiment_id        bigint not null unique references experiments (id) on delete cascade,
    base_model           text not null,
    base_sha256          text not null,
    blocks               integer not null,
    hidden_size          integer not null,
    router_hidden        integer not null,
    windows              integer not null,
    validation_accuracy  double precision,
    validation_macro_f1  double precision,
    weights              bytea not null,
    metadata             jsonb not null,
    created_at           timestamptz not null default now()
);

-- The Evaluation actor (experiment + benchmark): baseline (default path) vs routed, per example.
create table evaluations (
    id                   bigserial primary key,
    experiment_id        bigint not null references experiments (id) on delete cascade,
    task                 text not null,
    split                text not null,
    domain               text not null check (domain in ('in-domain', 'out-of-domain')),
    status               text not null check (status in ('pending', 'running', 'done', 'failed', 'cancelled')),
    node_id              text,
    attempt              integer not null default 0,
    n                    integer not null,
    baseline_accuracy    double precision,
    routed_accuracy      double precision,
    baseline_avg_layers  double precision,
    routed_avg_layers    double precision,
    router_seconds       double precision,
    error                text,
    started_at           timestamptz,
    finished_at          timestamptz,
    updated_at           timestamptz not null default now(),
    unique (experiment_id, task)
);

-- One row per evaluated example (the primary key makes a re-run after failover a no-op).
create table evaluation_results (
    evaluation_id     bigint not null references evaluations (id) on delete cascade,
    example_id        bigint not null references examples (id) on delete cascade,
    baseline_correct  boolean not null,
    routed_correct    boolean not null,
    baseline_answer   text,
    routed_answer     text,
    routed_output     text,
    routed_path       integer[] not null,
    decisions         integer[] not null,
    node_id           text,
    created_at        timestamptz not null default now(),
    primary key (evaluation_id, example_id)
);

-- Why something failed, where: the actor kind and identity, the node, and a reason a person can act on.
create table failures (
    id             bigserial primary key,
    at             timestamptz not null default now(),
    actor          text not null,
    actor_key      text not null,
    sweep_id       bigint references sweeps (id) on delete cascade,
    experiment_id  bigint references experiments (id) on delete cascade,
    node_id        text,
    reason         text not null
);
create index failures_sweep on failures (sweep_id);
