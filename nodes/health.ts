// GET /edge-ai/health: each model's and camera's state for a container health check or a
// Kubernetes probe; 200 when all is well, 503 while starting or when something is failing.
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { requirePermission } from './admin-auth';
import { health } from './lib/health';

const routed = new WeakSet<object>();

/** The route, once per runtime, behind the permission edge-ai-health.read (open without adminAuth). */
export function registerHealth(RED: NodeAPI): void {
  if (routed.has(RED.httpAdmin)) return;
  routed.add(RED.httpAdmin);
  RED.httpAdmin.get('/edge-ai/health', ...requirePermission(RED, 'edge-ai-health.read'), (_req: Request, res: Response) => {
    const report = health.report();
    const memory = process.memoryUsage();
    res.set('Cache-Control', 'no-store');
    res.status(report.status === 'ok' ? 200 : 503).json({
      status: report.status,
      time: new Date().toISOString(),
      runtime: {
        node: process.version, platform: process.platform, arch: process.arch, nodeRed: typeof RED.version === 'function' ? RED.version() : undefined,
        uptimeS: Math.round(process.uptime()), rssMB: Math.round(memory.rss / 2 ** 20), heapMB: Math.round(memory.heapUsed / 2 ** 20),
      },
      models: report.models,
      cameras: report.cameras,
    });
  });
}
