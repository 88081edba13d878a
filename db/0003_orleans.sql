-- The cluster moves from Quartz jobs to Orleans grains. Orleans keeps its cluster membership here, in our own tables
-- (src/DrLlm.Cluster/Membership/PostgresMembershipTable.cs): one version row per cluster, bumped in the same
-- transaction as every row change (Orleans' optimistic concurrency on the whole table), and one row per silo
-- incarnation (address, port, generation). Quartz's tables go: nothing reads them any more.

create table orleans_membership_version (
    cluster_id  text primary key,
    version     integer not null default 0,
    updated_at  timestamptz not null default now()
);

create table orleans_membership (
    cluster_id       text not null references orleans_membership_version (cluster_id) on delete cascade,
    address          text not null,
    port             integer not null,
    generation       integer not null,
    silo_name        text not null,
    host_name        text not null,
    status           integer not null,      -- Orleans.Runtime.SiloStatus (3 Active, 6 Dead, …)
    proxy_port       integer not null,      -- the gateway port clients connect to (0: none)
    suspect_times    text,                  -- "address@generation@ticks|…": who suspected it and when
    start_time       timestamptz not null,
    i_am_alive_time  timestamptz not null,
    etag             integer not null default 0,
    primary key (cluster_id, address, port, generation)
);

-- Orleans' own view of the silos, readable by people: status by name.
create view v_silos as
select m.cluster_id, m.silo_name as node_id, m.host_name, m.address || ':' || m.port as endpoint, m.generation,
       case m.status when 0 then 'none' when 1 then 'created' when 2 then 'joining' when 3 then 'active'
                     when 4 then 'shutting_down' when 5 then 'stopping' when 6 then 'dead' else m.status::text end as status,
       m.proxy_port as gateway_port, m.start_time, m.i_am_alive_time,
       round(extract(epoch from now() - m.i_am_alive_time)::numeric, 1) as i_am_alive_age_s
from orleans_membership m;

do $$
declare t text;
begin
    for t in select tablename from pg_tables where schemaname = current_schema() and tablename like 'qrtz\_%' loop
        execute format('drop table %I cascade', t);
    end loop;
end $$;

-- An experiment whose model no live silo hosts waits (it starts when one joins); the Sweep grain says why here.
alter table experiments add column waiting text;

-- v_experiments gains the waiting reason (a new last column; the others are unchanged).
create or replace view v_experiments as
select e.id as experiment_id, e.sweep_id, w.name as sweep, e.model, t.name as task, e.settings_key, e.settings, e.seed,
       e.stage, e.status, e.error,
       ind.baseline_accuracy, ind.routed_accuracy, ind.delta, ind.layers_saved,
       ood.baseline_accuracy as ood_baseline_accuracy, ood.routed_accuracy as ood_routed_accuracy, ood.delta as ood_delta,
       p.trees, p.done as trees_done, p.simulations_done, m.block_accuracy as router_block_accuracy, m.macro_f1 as router_macro_f1,
       e.created_at, e.updated_at, e.waiting
from experiments e
join sweeps w on w.id = e.sweep_id
join tasks t on t.id = e.task_id
left join v_search_progress p on p.experiment_id = e.id
left join v_router_metrics m on m.experiment_id = e.id
left join lateral (select baseline_accuracy, routed_accuracy, delta, layers_saved from v_evaluations x
                   where x.experiment_id = e.id and x.domain = 'in-domain' and x.status = 'done' limit 1) ind on true
left join lateral (select avg(baseline_accuracy) as baseline_accuracy, avg(routed_accuracy) as routed_accuracy, avg(delta) as delta
                   from v_evaluations x where x.experiment_id = e.id and x.domain = 'out-of-domain' and x.status = 'done') ood on true;
