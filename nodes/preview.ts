// The latest frame each of our nodes has seen, served small to the editor (zone drawing in the
// trigger dialog, live previews) by an admin route behind Node-RED's permissions.
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { localError } from './adapter';
import { requirePermission } from './admin-auth';
import { PREVIEW_MAX_WIDTH, previewJpeg, type FrameInfo } from './lib/image';

/** Only references: the frames are the msgs' own Buffers, kept until the next one replaces them. */
const latest = new Map<string, { image: unknown; frame?: FrameInfo; time: number }>();
const routed = new WeakSet<object>();

export function rememberFrame(nodeId: string, image: unknown, frame?: FrameInfo): void {
  latest.set(nodeId, { image, frame, time: Date.now() });
}

export function forgetFrame(nodeId: string): void {
  latest.delete(nodeId);
}

/** GET /edge-ai/preview/:id[?width=N]: the node's latest frame as a JPEG at most N (640) wide. */
export function registerPreview(RED: NodeAPI): void {
  if (routed.has(RED.httpAdmin)) return;
  routed.add(RED.httpAdmin);
  RED.httpAdmin.get('/edge-ai/preview/:id', ...requirePermission(RED, 'edge-ai-preview.read'), (req: Request, res: Response) => {
    const entry = latest.get(String(req.params.id));
    if (!entry) {
      res.status(404).json({ error: RED._('@edgeflow/node-red-edge-ai/edge-ai-trigger:edge-ai-trigger.preview.none') });
      return;
    }
    const width = Math.max(16, Math.min(PREVIEW_MAX_WIDTH, Number(req.query.width) || PREVIEW_MAX_WIDTH));
    previewJpeg(entry.image, entry.frame, width).then(({ jpeg, sourceWidth, sourceHeight }) => {
      // The frame's own size: zones in pixels are drawn over the small picture in those units.
      res.set({ 'Content-Type': 'image/jpeg', 'Cache-Control': 'no-store', 'X-Frame-Width': String(sourceWidth), 'X-Frame-Height': String(sourceHeight), 'X-Frame-Time': String(entry.time) });
      res.send(jpeg);
    }, (err) => res.status(422).json({ error: localError(RED, err).message }));
  });
}
