// POST /edge-ai/collect/:id/:command: the button on an edge-ai-collect node in the editor
// (start, stop, toggle, reset), behind the permission edge-ai-collect.write.
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { localError } from './adapter';
import { requirePermission } from './admin-auth';
import type { CollectCommand, CollectEvent } from './lib/collect';

export type AdminCommand = CollectCommand | 'toggle';
const ADMIN_COMMANDS: readonly AdminCommand[] = ['start', 'stop', 'toggle', 'reset'];

/** What the route answers: the node's state after the command, and its folder. */
export type CollectView = CollectEvent & { folder: string };

/** The running collect nodes, by id. */
const controls = new Map<string, (command: AdminCommand) => Promise<CollectView>>();
const routed = new WeakSet<object>();
const TEXTS = '@edgeflow/node-red-edge-ai/edge-ai-collect:edge-ai-collect.';

/** Make a node reachable from the route; returns the release (for its close). */
export function registerCollectControl(id: string, control: (command: AdminCommand) => Promise<CollectView>): () => void {
  controls.set(id, control);
  return () => {
    if (controls.get(id) === control) controls.delete(id);
  };
}

/** The route, once per runtime. */
export function registerCollectAdmin(RED: NodeAPI): void {
  if (routed.has(RED.httpAdmin)) return;
  routed.add(RED.httpAdmin);
  RED.httpAdmin.post('/edge-ai/collect/:id/:command', ...requirePermission(RED, 'edge-ai-collect.write'), (req: Request, res: Response) => {
    const control = controls.get(String(req.params.id));
    const command = String(req.params.command) as AdminCommand;
    if (!control) {
      res.status(404).json({ error: RED._(`${TEXTS}error.notDeployed`) });
      return;
    }
    if (!ADMIN_COMMANDS.includes(command)) {
      res.status(400).json({ error: RED._(`${TEXTS}error.command`, { commands: ADMIN_COMMANDS.join(', '), received: command }) });
      return;
    }
    control(command).then((view) => res.json(view), (err) => {
      // An engine error, or one localError made of it (a node whose settings failed keeps it).
      const code = (err as { code?: unknown } | undefined)?.code;
      res.status(code === 'collectFolderInUse' ? 409 : 500).json({ code, error: localError(RED, err).message });
    });
  });
}
