global using DrLlm.Cluster;
