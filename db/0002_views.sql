-- Views users (psql, the dashboard) query directly. Examples are in README.md, "Querying results".

-- Nodes with liveness: a node is alive when its heartbeat is younger than 15 s.
create view v_nodes as
select n.id, n.host, n.pid, n.concurrency,
       case when n.status = 'up' and n.heartbeat_at < now() - interval '15 seconds' then 'lost' else n.status end as status,
       n.started_at, n.heartbeat_at, round(extract(epoch from now() - n.heartbeat_at)::numeric, 1) as heartbeat_age_s,
       coalesce((select string_agg(h.model || ':' || h.status, ',' order by h.model) from model_hosts h where h.node_id = n.id), '') as models
from nodes n;

-- Search progress per experiment: trees by status, simulations done against the budget, labels found.
create view v_search_progress as
select e.id as experiment_id, e.sweep_id, e.model, t.name as task, e.settings_key, e.seed,
       count(s.id) as trees,
       count(s.id) filter (where s.status = 'pending') as pending,
       count(s.id) filter (where s.status = 'running') as running,
       count(s.id) filter (where s.status = 'done') as done,
       count(s.id) filter (where s.status = 'failed') as failed,
       coalesce(sum(s.simulations), 0) as simulations_done,
       count(s.id) * (e.settings -> 'search' ->> 'simulations')::int as simulation_budget,
       count(s.id) filter (where s.labels is not null) as labelled,
       coalesce(sum(greatest(s.executions - 1, 0)), 0) as resumes
from experiments e
join tasks t on t.id = e.task_id
left join search_trees s on s.experiment_id = e.id
group by e.id, t.name;

-- Label statistics per experiment (METHOD.md: kept examples, skip/execute/repeat labels, layers saved, fix share).
create view v_label_statistics as
select e.id as experiment_id, e.sweep_id, e.model, t.name as task, e.settings_key, e.seed,
       count(s.id) filter (where s.status = 'done') as examples,
       count(s.id) filter (where s.labels is not null) as kept,
       coalesce(sum((select count(*) from unnest(s.labels) y where y = 0)), 0) as skip_labels,
       coalesce(sum((select count(*) from unnest(s.labels) y where y = 1)), 0) as execute_labels,
       coalesce(sum((select count(*) from unnest(s.labels) y where y = 2)), 0) as repeat_labels,
       avg(b.blocks - cardinality(s.best_path)) filter (where s.labels is not null) as avg_layers_saved,
       avg(case when s.default_correct then 0.0 else 1.0 end) filter (where s.labels is not null) as fix_share,
       avg(case when s.default_correct then 1.0 else 0.0 end) filter (where s.status = 'done') as default_accuracy
from experiments e
join tasks t on t.id = e.task_id
left join base_models b on b.name = e.model
left join search_trees s on s.experiment_id = e.id
group by e.id, t.name;

-- Router metrics per experiment: the training run and its last epoch's validation figures.
create view v_router_metrics as
select e.id as experiment_id, e.sweep_id, e.model, t.name as task, e.settings_key, e.seed,
       r.status as training_status, r.epoch as epochs_done, r.epochs, r.train_examples, r.validation_examples,
       last.train_loss, last.validation_loss, last.validation_accuracy as block_accuracy,
       last.validation_macro_f1 as macro_f1, last.validation_class_accuracy as class_recall
from experiments e
join tasks t on t.id = e.task_id
left join training_runs r on r.experiment_id = e.id
left join lateral (select * from training_epochs x where x.training_run_id = r.id order by x.epoch desc limit 1) last on true;

-- Every evaluation: baseline vs routed accuracy and layers, per experiment and benchmark.
create view v_evaluations as
select v.id as evaluation_id, e.id as experiment_id, e.sweep_id, e.model, v.task, v.split, v.domain, e.settings_key, e.seed,
       v.status, v.n, (select count(*) from evaluation_results r where r.evaluation_id = v.id) as evaluated,
       v.baseline_accuracy, v.routed_accuracy, v.routed_accuracy - v.baseline_accuracy as delta,
       v.baseline_avg_layers, v.routed_avg_layers, v.baseline_avg_layers - v.routed_avg_layers as layers_saved
from evaluations v join experiments e on e.id = v.experiment_id;

-- One row per experiment: what it is, where it stands, and its in-domain result (out-of-domain: the mean over tasks).
create view v_experiments as
select e.id as experiment_id, e.sweep_id, w.name as sweep, e.model, t.name as task, e.settings_key, e.settings, e.seed,
       e.stage, e.status, e.error,
       ind.baseline_accuracy, ind.routed_accuracy, ind.delta, ind.layers_saved,
       ood.baseline_accuracy as ood_baseline_accuracy, ood.routed_accuracy as ood_routed_accuracy, ood.delta as ood_delta,
       p.trees, p.done as trees_done, p.simulations_done, m.block_accuracy as router_block_accuracy, m.macro_f1 as router_macro_f1,
       e.created_at, e.updated_at
from experiments e
join sweeps w on w.id = e.sweep_id
join tasks t on t.id = e.task_id
left join v_search_progress p on p.experiment_id = e.id
left join v_router_metrics m on m.experiment_id = e.id
left join lateral (select baseline_accuracy, routed_accuracy, delta, layers_saved from v_evaluations x
                   where x.experiment_id = e.id and x.domain = 'in-domain' and x.status = 'done' limit 1) ind on true
left join lateral (select avg(baseline_accuracy) as baseline_accuracy, avg(routed_accuracy) as routed_accuracy, avg(delta) as delta
                   from v_evaluations x where x.experiment_id = e.id and x.domain = 'out-of-domain' and x.status = 'done') ood on true;

-- Progress of a sweep per stage (what drllm sweep status draws as bars).
create view v_sweep_progress as
select w.id as sweep_id, w.name, w.status, w.created_at, w.finished_at,
       (select count(*) from experiments e where e.sweep_id = w.id) as experiments,
       (select count(*) from experiments e where e.sweep_id = w.id and e.status = 'failed') as experiments_failed,
       (select count(*) from experiments e where e.sweep_id = w.id and e.stage = 'done') as experiments_done,
       (select count(*) from search_trees s join experiments e on e.id = s.experiment_id where e.sweep_id = w.id) as trees,
       (select count(*) from search_trees s join experiments e on e.id = s.experiment_id where e.sweep_id = w.id and s.status in ('done', 'failed', 'cancelled')) as trees_finished,
       (select count(*) from training_runs r join experiments e on e.id = r.experiment_id where e.sweep_id = w.id) as trainings,
       (select count(*) from training_runs r join experiments e on e.id = r.experiment_id where e.sweep_id = w.id and r.status in ('done', 'failed', 'cancelled')) as trainings_finished,
       (select count(*) from evaluations v join experiments e on e.id = v.experiment_id where e.sweep_id = w.id) as evaluations,
       (select count(*) from evaluations v join experiments e on e.id = v.experiment_id where e.sweep_id = w.id and v.status in ('done', 'failed', 'cancelled')) as evaluations_finished,
       (select count(*) from failures f where f.sweep_id = w.id) as failures
from sweeps w;
