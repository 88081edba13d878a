-- A searched example's answers under its default path and under the best path the search found (the path viewer
-- shows them beside the prompt). Null for trees searched before this migration and for stand-in models, which
-- grade paths without generating text.
alter table search_trees add column default_answer text, add column best_answer text;
