import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';

/** The worker process's own settings (each lib's worker module brings its own). */
export class WorkerConfig {
  /**
   * Serve Prometheus metrics over HTTP (`GET /metrics`), its only listener. Off unless asked for:
   * CONTRACT's worker has no HTTP server, and two workers on one host would need a port each.
   */
  @IsBoolean()
  WORKER_METRICS_ENABLED = false;

  /** 9464 is the port conventionally used by Prometheus exporters of application processes; 0 picks a free one. */
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_METRICS_PORT = 9464;

  /** Loopback by default, like HOST; set 0.0.0.0 in a container so Prometheus can reach it. */
  @IsString()
  WORKER_METRICS_HOST = '127.0.0.1';
}
