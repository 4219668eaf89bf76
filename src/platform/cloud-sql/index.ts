export { type CloudSqlAdapter, type CloudSqlOptions, createCloudSql } from './backup-runs.ts';
